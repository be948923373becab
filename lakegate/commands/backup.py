"""``lakegate backup``: save what an apply or a recovery can destroy (see :mod:`lakegate.backup`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError

DEFAULT_OUT = Path(".lakegate/backups")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backup", help="back up Terraform state, bookmarks, catalog, crawlers/triggers and a data manifest "
                       "(read-only; run it before terraform apply)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "The runbook's Checklist Antes, item 1, as a command. Writes a timestamped folder\n"
            "backup-<UTC stamp>/ under --out with: the Terraform state (--state-file, or the state of\n"
            "--tf-dir read through terraform), every job bookmark with its last run id, every catalog\n"
            "table and partition definition, the crawler, trigger and workflow configuration, and a\n"
            "manifest of object counts and bytes per data prefix; plus SHA256SUMS (check it with\n"
            "`sha256sum -c SHA256SUMS` inside the folder).\n\n"
            "It only reads (Get/List calls): nothing changes in AWS.\n\n"
            "The folder holds YOUR DATA: catalog definitions, bookmarks and, with a Terraform state,\n"
            "whatever the state holds (it may contain secrets such as passwords of resources). It is\n"
            "created owner-only (mode 0700, files 0600); keep it where you keep the state. Nothing\n"
            "of its content is printed, only the folder and counts."))
    p.add_argument("--env", default="local", help="environment from lakegate.toml (default: local)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"folder the timestamped backup folder is created in (default: {DEFAULT_OUT})")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--state-file", type=Path,
                     help="a Terraform state file to include as is (e.g. the output of `terraform state pull`)")
    src.add_argument("--tf-dir", type=Path,
                     help="Terraform directory whose state to include (read with `terraform show -json` for "
                          "the environment's target)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run_backup)


def _state(args: argparse.Namespace, env: Any) -> tuple[Any, str | None]:
    if args.state_file is not None:
        path = Path(args.state_file)
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise LakegateError(f"cannot read the Terraform state file: {err.strerror}", where=str(path),
                                fix="pass the file `terraform state pull > FILE` wrote") from None
        try:
            doc = json.loads(raw)
        except ValueError as err:
            raise LakegateError(f"the Terraform state file is not JSON ({err.msg})", where=str(path),
                                fix="pass the file `terraform state pull > FILE` wrote") from None
        if not isinstance(doc, dict) or not ("version" in doc or "values" in doc):
            raise LakegateError("this is not a Terraform state (no \"version\" or \"values\")", where=str(path),
                                fix="pass the file `terraform state pull > FILE` wrote")
        return raw, path.name
    if args.tf_dir is not None:
        from lakegate.terraform import TerraformDriver

        if env.is_local:
            from lakegate import localenv

            driver = TerraformDriver(args.tf_dir, target="local", endpoint=localenv.load_state().endpoint)
        else:
            driver = TerraformDriver(args.tf_dir, target="aws", region=env.region)
        return driver.show_state(), f"terraform show -json ({Path(args.tf_dir).name}, {driver.target} target)"
    return None, None


def run_backup(args: argparse.Namespace) -> int:
    from lakegate import backup, context
    from lakegate.masking import mask

    ctx = context.resolve(args.env)
    state, source = _state(args, ctx.env)
    result = backup.take_backup(ctx.clients, ctx.names, args.out, state, env=ctx.env.name,
                                state_source=source)
    summary = mask(result.summary())
    if args.format == "json":
        print(json.dumps(summary, indent=2, default=str))
        return 0
    c = summary["counts"]
    print(f"backup of environment {ctx.env.name} written to {summary['folder']}")
    print(f"  jobs: {c.get('jobs', 0)} ({c.get('bookmarks', 0)} with a bookmark); tables: {c.get('tables', 0)} "
          f"({c.get('partitions', 0)} partitions); crawlers: {c.get('crawlers', 0)}; triggers: {c.get('triggers', 0)}")
    print(f"  data: {c.get('objects', 0)} objects, {c.get('bytes', 0)} bytes in {c.get('data_prefixes', 0)} prefixes")
    print("  terraform state: " + ("included" if "terraform_state" in result.files else
                                   "not included (pass --state-file or --tf-dir)"))
    print(f"  checksums: {result.sums_file.name} (verify: cd {summary['folder']} && sha256sum -c {backup.SUMS_FILE})")
    return 0
