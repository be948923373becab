"""Roles and policies from a user-supplied IAM export (``--iam-snapshot FILE``).

Why: a crawler or job often runs as a role the Terraform configuration does not manage (created
by a platform team, another stack, the console). Without its policies the gate can only say
"cannot verify"; ``aws iam get-account-authorization-details --output json`` is the one read-only
call that exports every role with its inline policies, attached managed policies and
permissions boundary, plus the customer managed policies' documents
(https://docs.aws.amazon.com/cli/latest/reference/iam/get-account-authorization-details.html).

Documents may be JSON objects (the CLI decodes them) or URL-encoded JSON strings (the raw API).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lakegate.errors import LakegateError


@dataclass
class SnapshotRole:
    name: str
    arn: str
    inline: dict[str, Any] = field(default_factory=dict)     # policy name -> document
    attached: list[str] = field(default_factory=list)        # policy ARNs
    boundary: str | None = None                              # policy ARN


@dataclass
class IamSnapshot:
    source: str
    roles: dict[str, SnapshotRole]          # by role name
    policies: dict[str, Any]                # customer managed policy ARN -> default document

    def policy(self, arn: str) -> Any | None:
        return self.policies.get(arn)


def _doc(value: Any, where: str) -> Any:
    if isinstance(value, str):
        text = unquote(value) if value.lstrip().startswith("%") else value
        try:
            return json.loads(text)
        except ValueError:
            raise LakegateError("a policy document in the IAM snapshot is not JSON", where=where,
                                fix="export it again with 'aws iam get-account-authorization-details "
                                    "--output json'") from None
    if isinstance(value, dict):
        return value
    raise LakegateError("a policy document in the IAM snapshot is missing", where=where,
                        fix="export it again with 'aws iam get-account-authorization-details --output json'")


@lru_cache(maxsize=4)
def load_snapshot(path: Path) -> IamSnapshot:
    """Parse ``path``; a file that is not such an export exits 2 with what to do."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise LakegateError(f"cannot read the IAM snapshot: {err}", where=str(path),
                            fix="pass the JSON output of 'aws iam get-account-authorization-details "
                                "--output json'") from None
    if not isinstance(data, dict) or not isinstance(data.get("RoleDetailList"), list):
        raise LakegateError("the IAM snapshot has no RoleDetailList", where=str(path),
                            fix="pass the JSON output of 'aws iam get-account-authorization-details "
                                "--output json'")
    roles: dict[str, SnapshotRole] = {}
    for i, r in enumerate(data["RoleDetailList"]):
        where = f"{path}: RoleDetailList[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("RoleName"), str):
            raise LakegateError("a role without RoleName", where=where,
                                fix="export it again with the AWS CLI")
        role = SnapshotRole(r["RoleName"], str(r.get("Arn") or ""))
        for j, p in enumerate(r.get("RolePolicyList") or []):
            role.inline[str(p.get("PolicyName") or j)] = _doc(p.get("PolicyDocument"),
                                                              f"{where}.RolePolicyList[{j}]")
        role.attached = [str(p.get("PolicyArn")) for p in r.get("AttachedManagedPolicies") or []
                         if isinstance(p, dict) and p.get("PolicyArn")]
        pb = r.get("PermissionsBoundary")
        if isinstance(pb, dict) and pb.get("PermissionsBoundaryArn"):
            role.boundary = str(pb["PermissionsBoundaryArn"])
        roles[role.name] = role
    policies: dict[str, Any] = {}
    for i, p in enumerate(data.get("Policies") or []):
        if not isinstance(p, dict) or not p.get("Arn"):
            continue
        for v in p.get("PolicyVersionList") or []:
            if isinstance(v, dict) and v.get("IsDefaultVersion"):
                policies[str(p["Arn"])] = _doc(v.get("Document"), f"{path}: Policies[{i}]")
    return IamSnapshot(str(path), roles, policies)
