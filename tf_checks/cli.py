"""``lakegate check``: the static gate on a plan JSON, a state or a Terraform directory.

Exit codes (contract): 0 no finding at or above ``--fail-on``; 1 findings at or above it;
2 unusable input (:class:`~lakegate.errors.LakegateError`, printed by ``lakegate.cli``).

Pipeline (fixed order, so checkov findings can be suppressed like ours and suppressions are
applied exactly once): :func:`tf_checks.engine.check_path` → with ``--checkov``
:func:`tf_checks.checkov_runner.merge_checkov` on the plan JSON (for a directory INPUT, the plan
JSON the driver wrote) → :func:`tf_checks.suppress.apply_suppressions` (inline
``# lakegate:ignore RULE reason: ...`` comments of the Terraform directory + the baseline file)
→ render. Suppressed findings stay in every output; they only stop counting for the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lakegate.errors import LakegateError
from tf_checks.findings import SEVERITIES
from tf_checks.output import FORMATS, render
from tf_checks.suppress import BASELINE_FILENAME, apply_suppressions


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check", help="static gate: IAM sufficiency, workflow graph, consistency, change impact",
        description="Check a Terraform plan JSON, state JSON/terraform.tfstate or Terraform "
                    "directory. Exit 0 clean, 1 findings at or above --fail-on, 2 unusable input. "
                    "Findings can be accepted only with a reason (inline '# lakegate:ignore "
                    "RULE reason: ...' or --baseline); suppressed findings stay in the report.")
    p.add_argument("input", metavar="INPUT", help="plan JSON, state JSON, terraform.tfstate or Terraform directory")
    p.add_argument("--tf-dir", type=Path, default=None,
                   help="the Terraform directory of the plan (resolves unknown values, checks scripts)")
    p.add_argument("--scripts", type=Path, default=None, metavar="DIR",
                   help="folder holding the jobs' scripts when they are uploaded outside Terraform "
                        "(e.g. by CI with 'aws s3 sync src/ s3://...'): a job's script is the file "
                        "with the name of its script_location's object (default: looked up by name "
                        "in the Terraform directory and the repository that holds it)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--out", type=Path, default=None, help="write the report here instead of stdout")
    p.add_argument("--fail-on", choices=SEVERITIES, default="high", type=str.lower)
    p.add_argument("--recovery-plan", type=Path, default=None,
                   help="write the post-apply recovery plan (JSON) here")
    p.add_argument("--baseline", type=Path, default=None, metavar="FILE",
                   help="suppressions JSON: [{\"rule_id\", \"address\", \"reason\"}]; default "
                        f"<tf-dir>/{BASELINE_FILENAME} when present. Entries without a reason "
                        "suppress nothing and are reported (LG-SUPPRESS-001); suppressed findings "
                        "are still shown in every format. Inline '# lakegate:ignore RULE reason: "
                        "...' comments are read from the Terraform directory (--tf-dir or a "
                        "directory INPUT)")
    p.add_argument("--account-id", default=None, metavar="ACCOUNT",
                   help="the AWS account the configuration deploys to, used when the plan does not "
                        "know it (offline plans); default: [gate] account_id of lakegate.toml")
    p.add_argument("--iam-snapshot", type=Path, default=None, metavar="FILE",
                   help="output of 'aws iam get-account-authorization-details --output json': the "
                        "policies and boundaries of roles the configuration uses but does not manage; "
                        "default: [gate] iam_snapshot of lakegate.toml")
    p.add_argument("--checkov", action="store_true",
                   help="also run checkov (isolated venv .venv-checkov, or the executable named by "
                        "$LAKEGATE_CHECKOV) on the plan JSON and merge its findings; a crash, "
                        "'Failed to run check' or unreadable output is finding LG-CHECKOV-001 "
                        "(fail closed). Needs a plan input (plan JSON or Terraform directory)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tf_checks.engine import check_path

    if args.tf_dir is not None and not args.tf_dir.is_dir():
        raise LakegateError(f"--tf-dir {args.tf_dir} is not a directory", where=str(args.tf_dir),
                            fix="pass the folder holding the .tf files")
    if args.scripts is not None and not args.scripts.is_dir():
        raise LakegateError(f"--scripts {args.scripts} is not a directory", where=str(args.scripts),
                            fix="pass the folder holding the job scripts")
    result = check_path(args.input, args.tf_dir, scripts_dir=args.scripts,
                        account_id=args.account_id, iam_snapshot=args.iam_snapshot)
    tf_dir = args.tf_dir or (Path(args.input) if Path(args.input).is_dir() else None)
    if args.checkov:
        from tf_checks.checkov_runner import merge_checkov

        if result.inputs.get("kind") != "plan":
            raise LakegateError(
                f"--checkov needs a plan, but {args.input} is a {result.inputs.get('kind')} input",
                where=str(args.input),
                fix="pass the plan JSON ('terraform show -json plan.bin') or the Terraform "
                    "directory, or drop --checkov")
        # For a directory INPUT the loader records the driver's plan JSON as the source.
        result = merge_checkov(result, Path(result.inputs["source"]))
    result = apply_suppressions(result, tf_dir, args.baseline)
    text = render(result, args.format, tf_dir)
    if args.recovery_plan is not None:
        _write(args.recovery_plan, json.dumps(result.recovery_plan, indent=2) + "\n")
    if args.out is not None:
        _write(args.out, text)
    else:
        sys.stdout.write(text)
    return result.exit_code(args.fail_on)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise LakegateError(f"cannot write {path}: {err.strerror}", where=str(path),
                            fix="choose a writable path") from None
