"""How an AWS Glue crawler names the table it creates for an S3 include path -- one function
for the gate (``tf_checks``) and the local AWS (``localaws``), which must agree.

What Glue does, as observed and reported publicly (the Glue docs only say the prefix "is added
to the names of tables that are created"):

* the table root's folder name is lower-cased and every character other than ``[a-z0-9_]``
  becomes ``_`` (a crawled ``my-data`` folder gives table ``my_data``; reported e.g. in
  https://github.com/awslabs/aws-athena-query-federation/issues/78, "When Glue Crawler crawls a
  table ... it will replace hyphens in the table name with underscores");
* the ``table_prefix`` is prepended as given, lower-cased but NOT sanitised: a prefix
  ``housing-`` gives hyphenated table names
  (https://github.com/LBHackney-IT/Data-Platform/pull/387 changed its prefixes to snake case for
  that reason; https://github.com/aws-solutions-library-samples/cloud-intelligence-dashboards-framework/pull/875
  likewise replaces ``-`` in its prefix itself). So prefix ``bronze-`` + folder ``car_data``
  -> ``bronze-car_data``.

This module imports nothing from ``localaws`` (``localaws`` may import ``lakegate``, never the
reverse).
"""

from __future__ import annotations

import re

_NOT_KEPT = re.compile(r"[^a-z0-9_]")


def sanitize_name(name: str) -> str:
    """Lower-case ``name`` and replace every character Glue does not keep with ``_``."""
    return _NOT_KEPT.sub("_", name.lower())


def table_name(prefix: str | None, folder: str) -> str:
    """The table Glue creates for table-root folder ``folder`` under crawler ``prefix``."""
    return (prefix or "").lower() + sanitize_name(folder)


def folder_of(path: str) -> str:
    """The table-root folder of an include path: its last folder (bucket root -> the bucket)."""
    key = path.split("://", 1)[-1]
    parts = [p for p in key.split("/")[1:] if p]
    return parts[-1] if parts else key.split("/")[0]


def crawler_table_name(prefix: str | None, path: str) -> str:
    """``("bronze_", "s3://b/bronze/car_data/")`` -> ``bronze_car_data``."""
    return table_name(prefix, folder_of(path))


__all__ = ["crawler_table_name", "folder_of", "sanitize_name", "table_name"]
