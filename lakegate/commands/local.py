"""``lakegate local up|down|status|fault|snapshot|restore``: manage the embedded local AWS (see
lakegate.localenv).

Snapshots ("state pods"): ``lakegate local snapshot POD`` saves the running local AWS's whole
state (``localaws.snapshot``) into the folder POD, with what ``lakegate deploy`` left next to the
state file (``outputs.json``, ``deploy.json``) and the Terraform state of that deploy;
``lakegate local up --from POD`` starts a local AWS with that state and puts those files back, so
``lakegate recover/diagnose --env local`` and a later ``lakegate deploy`` (an incremental
``terraform apply``) continue where the snapshot was taken. ``lakegate local restore POD`` does the
same to a running local AWS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from lakegate import localenv
from lakegate.errors import LakegateError


POD_SNAPSHOT = "localaws.snapshot"
POD_META = "pod.json"
_POD_FILES = ("outputs.json", "deploy.json")


def _pod_snapshot(pod: Path) -> Path:
    snap = pod / POD_SNAPSHOT
    if not snap.is_file():
        raise LakegateError(f"{pod} is not a local AWS snapshot (no {POD_SNAPSHOT})", where=str(pod),
                            fix="pass a folder written by 'lakegate local snapshot'")
    return snap


def _pod_files_back(pod: Path) -> list[str]:
    """Put the deploy files of the pod next to the state file and the Terraform state back."""
    folder = localenv.state_path().parent
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for name in _POD_FILES:
        if (pod / name).is_file():
            shutil.copyfile(pod / name, folder / name)
            done.append(name)
    meta = json.loads((pod / POD_META).read_text()) if (pod / POD_META).is_file() else {}
    tf_state = meta.get("tf_state")
    if tf_state and (pod / "terraform.tfstate").is_file():
        Path(tf_state).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pod / "terraform.tfstate", tf_state)
        done.append(f"terraform state -> {tf_state}")
    return done


def _snapshot(args: argparse.Namespace) -> int:
    st = localenv.load_state()
    pod = Path(args.pod)
    if pod.exists() and not pod.is_dir():
        raise LakegateError(f"{pod} exists and is not a folder", where=str(pod),
                            fix="pass a new or existing folder for the snapshot")
    pod.mkdir(parents=True, exist_ok=True)
    summary = localenv.save_snapshot(st, pod / POD_SNAPSHOT)
    folder = localenv.state_path().parent
    kept = []
    for name in _POD_FILES:
        if (folder / name).is_file():
            shutil.copyfile(folder / name, pod / name)
            kept.append(name)
    meta: dict = {"services": summary.get("services"), "python": summary.get("python"),
                  "moto": summary.get("moto"), "saved_at": summary.get("saved_at")}
    try:
        tf_state = json.loads((folder / "deploy.json").read_text()).get("tf_state")
    except (OSError, ValueError):
        tf_state = None
    if tf_state and Path(tf_state).is_file():
        shutil.copyfile(tf_state, pod / "terraform.tfstate")
        meta["tf_state"] = tf_state
        kept.append("terraform.tfstate")
    (pod / POD_META).write_text(json.dumps(meta, indent=2) + "\n")
    print(f"saved the local AWS ({', '.join(summary.get('services') or [])}; "
          f"{summary.get('bytes', 0) / 2**20:.1f} MiB) to {pod}"
          + (f" with {', '.join(kept)}" if kept else ""))
    return 0


def _restore(args: argparse.Namespace) -> int:
    st = localenv.load_state()
    pod = Path(args.pod)
    localenv.restore_snapshot(st, _pod_snapshot(pod))
    done = _pod_files_back(pod)
    print(f"restored the local AWS at {st.endpoint} from {pod}" + (f" ({', '.join(done)})" if done else ""))
    return 0


def _up(args: argparse.Namespace) -> int:
    snap = _pod_snapshot(Path(args.from_pod)) if args.from_pod else None
    st = localenv.start(port=args.port, timing=args.timing, time_scale=args.time_scale,
                        timeout=args.timeout, from_snapshot=snap)
    print(f"local AWS running at {st.endpoint} (pid {st.pid}, timing {st.timing}"
          f"{'' if st.time_scale == 1.0 else f' x{st.time_scale}'}); log: {st.log}")
    if snap is not None:
        done = _pod_files_back(Path(args.from_pod))
        print(f"  state restored from {args.from_pod}" + (f" ({', '.join(done)})" if done else ""))
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


#: faults that take a value on the command line, and the option it becomes
FAULT_PARAMETERS = {"iam-propagation-delay": "seconds", "throttling": "every"}


def _fault(args: argparse.Namespace) -> int:
    st = localenv.load_state()
    sub = f"fault/{args.name}" + ("/clear" if args.clear else "")
    options: dict = {}
    if args.value is not None and not args.clear:
        key = FAULT_PARAMETERS.get(args.name)
        if key is None:
            raise LakegateError(f"fault {args.name!r} takes no value", where="lakegate local fault",
                                fix=f"faults with a value: {', '.join(f'{k} {v.upper()}' for k, v in FAULT_PARAMETERS.items())}")
        try:
            options[key] = float(args.value)
        except ValueError:
            raise LakegateError(f"{args.value!r} is not a number", where=f"lakegate local fault {args.name}",
                                fix=f"e.g. lakegate local fault {args.name} 10") from None
    status, body = localenv.admin_post(st, sub, options or None)
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
    up.add_argument("--from", dest="from_pod", metavar="POD",
                    help="start with the state saved by 'lakegate local snapshot POD'")
    up.add_argument("--timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    up.set_defaults(func=_up)
    down = sub.add_parser("down", help="stop the local AWS")
    down.set_defaults(func=_down)
    status = sub.add_parser("status", help="is it running? (exit 1 if not)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    fault = sub.add_parser("fault", help="inject (or --clear) a runbook fault")
    fault.add_argument("name")
    fault.add_argument("value", nargs="?", default=None, metavar="VALUE",
                       help="iam-propagation-delay SECONDS; throttling N (refuse all but every Nth call, default 2)")
    fault.add_argument("--clear", action="store_true")
    fault.set_defaults(func=_fault)
    snap = sub.add_parser("snapshot", help="save the running local AWS's whole state to a folder")
    snap.add_argument("pod", metavar="POD", help="folder to write (created if missing)")
    snap.set_defaults(func=_snapshot)
    rest = sub.add_parser("restore", help="replace the running local AWS's state with a snapshot")
    rest.add_argument("pod", metavar="POD", help="folder written by 'lakegate local snapshot'")
    rest.set_defaults(func=_restore)

