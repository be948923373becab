"""``lakegate plan TF_DIR --out PLAN.json``: a Terraform plan as JSON, for the gate and for CI.

The target decides which AWS the plan is computed against (see :mod:`lakegate.terraform`):
``offline`` (default without ``--endpoint``: fake credentials, no network), ``local`` (default
with ``--endpoint``; without it the endpoint of a running ``lakegate local up`` is read from the
local AWS state file) and ``aws`` (your real credentials and backend).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from lakegate.errors import LakegateError

LOCAL_STATE_ENV = "LAKEGATE_LOCAL_STATE"
DEFAULT_LOCAL_STATE = Path(".lakegate") / "local" / "state.json"


def endpoint_from_local_state() -> str:
    """The endpoint of the running local AWS (``lakegate local up``).

    Read from its state file (``$LAKEGATE_LOCAL_STATE``, default ``.lakegate/local/state.json``)
    through :mod:`lakegate.localenv`, which also checks that the server answering there is ours
    (PID alive, health token); a missing or stale state file is a LakegateError whose fix names
    both ways out.
    """
    from lakegate import localenv

    try:
        return localenv.load_state().endpoint
    except LakegateError as err:
        raise LakegateError(f"--target local needs an endpoint: {err.what}", where=err.where,
                            fix="run `lakegate local up` or pass --endpoint URL") from None


def parse_vars(items: list[str] | None) -> dict[str, str]:
    """``["k=v", ...]`` -> ``{k: v}``; a malformed item is a LakegateError."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise LakegateError(f"--var {item!r} is not NAME=VALUE", where="--var",
                                fix="write --var project=demo (repeat --var for more)")
        out[key.strip()] = value
    return out


def resolve_target(target: str | None, endpoint: str | None) -> tuple[str, str | None]:
    """Default target and endpoint: ``local`` when an endpoint is given, else ``offline``."""
    if target is None:
        target = "local" if endpoint else "offline"
    if target == "local" and not endpoint:
        endpoint = endpoint_from_local_state()
    if target != "local" and endpoint:
        raise LakegateError(f"--endpoint only applies to --target local (got --target {target})",
                            where="--endpoint", fix="drop --endpoint or use --target local")
    return target, endpoint


def run(args: argparse.Namespace) -> int:
    from lakegate.terraform import TerraformDriver, summarize_plan

    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    target, endpoint = resolve_target(args.target, args.endpoint)
    out = Path(args.out)
    if out.is_dir():
        raise LakegateError(f"--out {out} is a directory", where="--out",
                            fix="pass a file name such as plan.json")
    driver = TerraformDriver(Path(args.tf_dir), target=target, endpoint=endpoint,
                             region=args.region, work_dir=Path(args.work_dir) if args.work_dir else None,
                             variables=parse_vars(args.var))
    plan = driver.plan(out_json=out)
    counts = summarize_plan(plan)
    where = f" at {endpoint}" if endpoint else ""
    print(f"Plan ({target} target{where}): {counts['add']} to add, {counts['change']} to change, "
          f"{counts['destroy']} to destroy; wrote {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="run terraform plan and write the plan as JSON",
        description=(
            "Run `terraform init`, `plan` and `show -json` on TF_DIR and write the plan JSON "
            "(the input of `lakegate check`). Terraform runs in a working copy under "
            ".lakegate/terraform/, so TF_DIR is never modified. The hashicorp/aws provider comes "
            "from a filesystem mirror when one is found ($LAKEGATE_TF_PROVIDER_MIRROR, else "
            "well-known folders such as /opt/tf-plugins; empty value: download from the registry). "
            "Exit 0 on success, 2 with a message on any error."
        ),
    )
    parser.add_argument("tf_dir", metavar="TF_DIR", help="the Terraform root module folder")
    parser.add_argument("--out", required=True, metavar="PLAN.json",
                        help="where to write the plan JSON (terraform show -json)")
    parser.add_argument(
        "--target", choices=("offline", "local", "aws"), default=None,
        help=("offline: fake credentials, no network (default without --endpoint); "
              "local: every AWS endpoint points at the local AWS (default with --endpoint; "
              "without --endpoint, the endpoint of `lakegate local up` is read from "
              f"${LOCAL_STATE_ENV} or {DEFAULT_LOCAL_STATE}); "
              "aws: your real credentials, profile and backend"))
    parser.add_argument("--endpoint", metavar="URL",
                        help="local AWS endpoint, e.g. http://127.0.0.1:4566 (implies --target local)")
    parser.add_argument("--var", action="append", metavar="NAME=VALUE",
                        help="set a Terraform variable (repeatable)")
    parser.add_argument("--region", default="us-east-1",
                        help="AWS region used when the configuration's provider block sets none "
                             "(default: us-east-1; a region set in the configuration, e.g. "
                             "region = var.region, always wins: use --var region=... for that)")
    parser.add_argument("--work-dir", metavar="DIR",
                        help="where lakegate keeps its working copies and their state "
                             "(default: .lakegate/terraform/<name>/ next to TF_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what the driver does (e.g. which provider mirror it uses)")
    parser.set_defaults(func=run)
