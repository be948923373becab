"""IAM of the local AWS: ``SimulatePrincipalPolicy`` (:mod:`localaws.iam.simulate`, an override
of the query protocol), IAM enforced on what runs (:mod:`localaws.iam.enforce`: a crawl's or
job run's role checked with the gate's evaluator), and the request's account looked up without
building IAM for unused partitions (:mod:`localaws.iam.accounts`). Importing the package
registers the override and patches moto."""

from localaws.iam import accounts, enforce, simulate  # noqa: F401  (registers the override, patches moto)
