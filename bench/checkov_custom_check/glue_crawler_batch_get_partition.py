"""checkov custom check for the benchmark: Glue crawler roles must allow glue:BatchGetPartition.

The closest a checkov *resource* check gets to lakegate's IAM rule: checkov evaluates one
resource at a time, so it cannot follow crawler -> role -> every attached policy. It checks each
inline role policy (``aws_iam_role_policy``) whose role is a crawler role (name contains
"crawler") for an Allow of ``glue:BatchGetPartition`` (wildcards and case honoured; Deny,
NotAction, conditions and managed policies are not modelled). Used only by bench/bench_gate.py.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ACTION = "glue:batchgetpartition"


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _allows(document: Any) -> bool:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return False
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action") or []
        if isinstance(actions, str):
            actions = [actions]
        if any(fnmatch.fnmatchcase(ACTION, str(a).lower()) for a in actions):
            return True
    return False


class GlueCrawlerRoleBatchGetPartition(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Glue crawler role allows glue:BatchGetPartition",
            id="CKV_LG_GLUE_1",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        role = str(_first(conf.get("role")) or "")
        if "crawler" not in role.lower():
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if _allows(_first(conf.get("policy"))) else CheckResult.FAILED


check = GlueCrawlerRoleBatchGetPartition()
