"""Run a command and print its wall time and the CPU seconds of *every* process it started.

``time`` (and ``RUSAGE_CHILDREN``) only counts descendants that were waited for; a server that a
CLI detached (``lakegate local up``) is re-parented to init and its CPU is lost. Here this process
makes itself a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``, Linux), so orphans are
re-parented to it and reaped by it, and their CPU lands in its ``RUSAGE_CHILDREN`` too.

    python bench/cpu_time.py [--label NAME] [--json FILE] -- COMMAND ...

With ``--by-command``, orphans are reaped while the command runs and their CPU (each with the
descendants it waited for, e.g. a local AWS server's Glue job drivers and JVMs) is listed by
command line: where the CPU that no test's own process shows goes.

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


def _command_class(line: str) -> str:
    """A command line without its temporary paths and numbers, so repeats group together."""
    import re

    line = re.sub(r"/tmp/\S+", "TMP", line)
    line = re.sub(r"\b\d{3,}\b", "N", line)
    return " ".join(line.split()[:5])[:120]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="")
    ap.add_argument("--json", help="append one JSON line with the figures to this file")
    ap.add_argument("--grace", type=float, default=120.0,
                    help="seconds to wait for orphans after the command exits (default 120)")
    ap.add_argument("--by-command", action="store_true",
                    help="list the orphans' CPU by command line (reaps them while the command runs)")
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
    names: dict[int, str] = {}
    by_command: dict[str, list[float]] = {}
    orphans_seen = 0

    def note_children() -> None:
        me = str(os.getpid())
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) not in names and int(d) != proc.pid:
                try:
                    with open(f"/proc/{d}/stat", encoding="utf-8", errors="replace") as fh:
                        ppid = fh.read().rsplit(")", 1)[1].split()[1]
                    if ppid != me:
                        continue
                    with open(f"/proc/{d}/cmdline", "rb") as fh:
                        line = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
                except OSError:
                    continue
                if line:
                    names[int(d)] = _command_class(line)

    main_status: list[int] = []

    def reap_one(block: bool) -> int:
        nonlocal orphans_seen
        pid, status, ru = os.wait4(-1, 0 if block else os.WNOHANG)
        if pid == proc.pid:  # the command itself: keep its exit status (Popen can no longer see it)
            main_status.append(os.waitstatus_to_exitcode(status))
        elif pid:
            orphans_seen += 1
            entry = by_command.setdefault(names.get(pid, "(unknown: exited before it was seen)"), [0, 0.0])
            entry[0] += 1
            entry[1] += ru.ru_utime + ru.ru_stime
        return pid

    if args.by_command:
        code = None
        while code is None:
            note_children()
            try:
                while reap_one(block=False):
                    pass
            except ChildProcessError:
                pass
            code = main_status[0] if main_status else proc.poll()
            if code is None:
                time.sleep(0.25)
    else:
        code = proc.wait()
    ended = time.monotonic()
    # reap orphans (re-parented to us) until none is left
    deadline = time.monotonic() + args.grace
    while True:
        if args.by_command:
            note_children()
        try:
            pid = reap_one(block=False)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                print("cpu_time: orphans still running after the grace period; waiting for them",
                      file=sys.stderr)
                deadline = float("inf")
            time.sleep(0.2)
            continue
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rec = {"label": args.label or " ".join(cmd)[:80], "exit": code,
           "wall_s": round(ended - start, 1), "user_s": round(usage.ru_utime, 1),
           "sys_s": round(usage.ru_stime, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
           "orphans_reaped": orphans_seen, "loadavg": os.getloadavg()}
    print(f"cpu_time: {rec['label']}: wall {rec['wall_s']} s, CPU {rec['cpu_s']} s "
          f"(user {rec['user_s']}, sys {rec['sys_s']}), {orphans_seen} orphan(s) reaped, "
          f"load {rec['loadavg'][0]:.2f}", file=sys.stderr)
    if args.by_command and by_command:
        rec["orphans_by_command"] = {k: {"count": v[0], "cpu_s": round(v[1], 1)} for k, v in by_command.items()}
        print("cpu_time: orphans by command (CPU s incl. what each waited for, count, command):",
              file=sys.stderr)
        for k, (n, cpu) in sorted(by_command.items(), key=lambda kv: -kv[1][1]):
            print(f"  {cpu:8.1f} {n:4d}  {k}", file=sys.stderr)
    if args.json:
        with open(args.json, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(rec) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
