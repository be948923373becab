"""``lakegate local up|down|status|fault``: manage the embedded local AWS (see lakegate.localenv)."""

from __future__ import annotations

import argparse
import json

import time

from lakegate import localenv
from lakegate.errors import LakegateError


def _up(args: argparse.Namespace) -> int:
    st = localenv.start(port=args.port, timing=args.timing, time_scale=args.time_scale,
                        timeout=args.timeout)
    print(f"local AWS running at {st.endpoint} (pid {st.pid}, timing {st.timing}"
          f"{'' if st.time_scale == 1.0 else f' x{st.time_scale}'}); log: {st.log}")
    print(f"  export AWS_ENDPOINT_URL={st.endpoint} AWS_ACCESS_KEY_ID=test "
          f"AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={localenv.REGION}")
    from localaws.glue_runtime.available import describe_runtimes
    print(f"  {describe_runtimes()}")
    return 0


def _down(args: argparse.Namespace) -> int:
    print(localenv.stop())
    return 0


def _status(args: argparse.Namespace) -> int:
    path = localenv.state_path()
    st = localenv.read_state(path)
    running = st is not None and localenv.is_running(st)
    if args.json:
        out: dict = {"running": running, "state_file": str(path)}
        if st is not None:
            out.update(st.to_dict())
            out.pop("token", None)
            out["uptime_s"] = round(time.time() - st.started_at, 1) if running else None
            if not running:
                out["stale"] = True
        print(json.dumps(out, indent=2))
    elif st is None:
        print("the local AWS is not running")
    elif not running:
        print(f"the local AWS is not running (stale state file {path}: pid {st.pid}, "
              f"{st.endpoint}); run 'lakegate local down' to clean up")
    else:
        print(f"running at {st.endpoint} (pid {st.pid}, timing {st.timing}, "
              f"up {time.time() - st.started_at:.0f} s)")
    return 0 if running else 1


def _fault(args: argparse.Namespace) -> int:
    st = localenv.load_state()
    sub = f"fault/{args.name}" + ("/clear" if args.clear else "")
    status, body = localenv.admin_post(st, sub)
    if status == 404:
        known = ", ".join(body.get("known") or []) or "(none registered)"
        raise LakegateError(f"unknown fault {args.name!r}", where="lakegate local fault",
                            fix=f"use one of: {known}")
    if status != 200:
        raise LakegateError(f"fault {args.name!r} could not be "
                            f"{'cleared' if args.clear else 'applied'}: {body.get('error', body)}",
                            where=st.endpoint)
    print(f"fault {args.name} {'cleared' if args.clear else 'applied'}")
    detail = body.get("detail")
    if detail:
        print(json.dumps(detail, indent=2, default=str))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("local", help="run the embedded local AWS (moto + Glue/Athena runtime)")
    sub = p.add_subparsers(dest="local_cmd", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="start the local AWS in the background")
    up.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    up.add_argument("--timing", choices=("fast", "realistic"), default="fast")
    up.add_argument("--time-scale", type=float, default=1.0,
                    help="multiply every duration by this factor (e.g. 0.1)")
    up.add_argument("--timeout", type=float, default=30.0, help=argparse.SUPPRESS)
    up.set_defaults(func=_up)
    down = sub.add_parser("down", help="stop the local AWS")
    down.set_defaults(func=_down)
    status = sub.add_parser("status", help="is it running? (exit 1 if not)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    fault = sub.add_parser("fault", help="inject (or --clear) a runbook fault")
    fault.add_argument("name")
    fault.add_argument("--clear", action="store_true")
    fault.set_defaults(func=_fault)

