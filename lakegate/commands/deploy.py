"""``lakegate deploy --target local`` (logic in :mod:`lakegate.deploy`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lakegate.deploy import deploy_local
from lakegate.errors import LakegateError


def _run(args: argparse.Namespace) -> int:
    if args.rows < 0:
        raise LakegateError(f"--rows must be >= 0 (got {args.rows})", where="--rows",
                            fix="pass 0 to skip the data upload")
    if args.tf_dir is None:   # ./terraform if there is one, else the reference pipeline (checkout or wheel)
        from lakegate.resources import reference_tf_dir

        args.tf_dir = "terraform" if (Path("terraform") / "outputs.tf").is_file() else str(reference_tf_dir())
    res = deploy_local(Path(args.tf_dir), args.rows, args.seed, upload=args.rows > 0,
                       cache=False if args.no_cache else None)
    out = res.outputs
    how = {"hit": "; deploy cache hit: state restored, then terraform plan -refresh=false: "
                  + ("changes, that plan applied" if res.cache_plan == "applied" else "no changes"),
           "miss": "; full terraform apply, saved to the deploy cache"}.get(res.cache, "")
    print(f"deployed {args.tf_dir} into the local AWS at {res.endpoint} ({res.apply_seconds:.1f} s{how})")
    for key in ("database_name", "workflow_name", "athena_workgroup_name", "bronze_crawler_name"):
        if key in out:
            print(f"  {key}: {out[key]}")
    if res.uploaded:
        print(f"  bronze data: {res.rows} rows in {len(res.uploaded)} objects under "
              f"s3://{res.bronze_bucket}/{res.bronze_prefix} ({res.upload_seconds:.1f} s)")
        print("  expected alerts: " + ", ".join(f"{k}={v}" for k, v in res.expected_alerts.items()))
    else:
        print("  bronze data: not uploaded (--rows 0)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("deploy", help="terraform apply into the local AWS and upload bronze data")
    p.add_argument("--target", choices=("local",), required=True,
                   help="where to deploy (only 'local': the running `lakegate local up` endpoint)")
    p.add_argument("--tf-dir", default=None,
                   help="Terraform root module (default: ./terraform, else the reference pipeline lakegate ships)")
    p.add_argument("--rows", type=int, default=2000, help="bronze rows to generate (0: none)")
    p.add_argument("--seed", type=int, default=0, help="data generator seed")
    p.add_argument("--no-cache", action="store_true",
                   help="always apply from nothing (default: a pristine local AWS gets the saved state "
                        "of an earlier apply of the same configuration, then terraform plan -refresh=false, applied if not empty; "
                        "see LAKEGATE_DEPLOY_CACHE)")
    p.set_defaults(func=_run)
