"""Run a command and print its wall time and the CPU seconds of *every* process it started.

``time`` (and ``RUSAGE_CHILDREN``) only counts descendants that were waited for; a server that a
CLI detached (``lakegate local up``) is re-parented to init and its CPU is lost. Here this process
makes itself a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``, Linux), so orphans are
re-parented to it and reaped by it, and their CPU lands in its ``RUSAGE_CHILDREN`` too.

    python bench/cpu_time.py [--label NAME] [--json FILE] -- COMMAND ...

Exit code: the command's. Orphans still alive ``--grace`` seconds after the command ended are
listed and then waited for (nothing is killed: a test that leaves a server behind is a finding).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="")
    ap.add_argument("--json", help="append one JSON line with the figures to this file")
    ap.add_argument("--grace", type=float, default=120.0,
                    help="seconds to wait for orphans after the command exits (default 120)")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command given")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("cpu_time: prctl(PR_SET_CHILD_SUBREAPER) failed; orphans will not be counted",
              file=sys.stderr)
    start = time.monotonic()
    proc = subprocess.Popen(cmd)
    code = proc.wait()
    ended = time.monotonic()
    # reap orphans (re-parented to us) until none is left
    deadline = time.monotonic() + args.grace
    orphans_seen = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                print("cpu_time: orphans still running after the grace period; waiting for them",
                      file=sys.stderr)
                deadline = float("inf")
            time.sleep(0.2)
            continue
        orphans_seen += 1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rec = {"label": args.label or " ".join(cmd)[:80], "exit": code,
           "wall_s": round(ended - start, 1), "user_s": round(usage.ru_utime, 1),
           "sys_s": round(usage.ru_stime, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
           "orphans_reaped": orphans_seen, "loadavg": os.getloadavg()}
    print(f"cpu_time: {rec['label']}: wall {rec['wall_s']} s, CPU {rec['cpu_s']} s "
          f"(user {rec['user_s']}, sys {rec['sys_s']}), {orphans_seen} orphan(s) reaped, "
          f"load {rec['loadavg'][0]:.2f}", file=sys.stderr)
    if args.json:
        with open(args.json, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(rec) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
