"""IAM of the local AWS: ``SimulatePrincipalPolicy`` (:mod:`localaws.iam.simulate`, an override
of the query protocol) and IAM enforced on what runs (:mod:`localaws.iam.enforce`: a crawl's or
job run's role checked with the gate's evaluator). Importing the package registers the
override."""

from localaws.iam import enforce, simulate  # noqa: F401  (registers the override)
