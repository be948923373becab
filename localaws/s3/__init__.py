"""S3 of the local AWS: moto's S3 with in-process patches (:mod:`localaws.s3.patches`). S3 has
no overrides: moto answers every S3 call; importing the package patches moto."""

from localaws.s3 import patches  # noqa: F401  (patches moto on import)
from localaws.s3.patches import wrap_start_response

__all__ = ["patches", "wrap_start_response"]
