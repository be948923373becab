"""CPU seconds of every process a command runs, short-lived ones included (kernel process accounting).

    python bench/pacct.py --out RUN.json [--top N] -- COMMAND ...
    python bench/pacct.py --show RUN.json [--top N]

Sampling /proc (``bench/proc_timeline.py``) misses processes shorter than a sample, and
``RUSAGE_CHILDREN`` folds a child into whoever reaped it. Here the kernel writes one record per
exited process (``acct(2)``, ``struct acct_v3``: pid, parent pid, user/system CPU, 16-character
command name), so every ``terraform``, provider, ``aws`` and ``python`` start is counted exactly.
A /proc sampler (every 0.1 s) adds the full command line of processes that live long enough and
carries a mark in the environment (``PACCT_MARK``) so that servers the command detached still count
as its own; a process belongs to the run when it carries the mark, or its parent (recursively)
does. Needs CAP_SYS_PACCT (root in this sandbox); it fails with a clear message otherwise.

The summary groups processes by a kind derived from the command line (``terraform plan``,
``terraform-provider-aws``, ``python -m localaws serve``, ``pytest``, ``java (spark)`` ...) with
count and CPU seconds, and says how much CPU the run used in total. Nothing here changes what the
command does.
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time

REC = struct.Struct("<BBHIIIIIIf8H16s")  # struct acct_v3, 64 bytes
AHZ = 100


def _comp(v: int) -> float:
    """comp_t: 13-bit mantissa, 3-bit base-8 exponent."""
    return (v & 0x1FFF) << (3 * (v >> 13))


def read_records(path: str) -> list[dict]:
    data = open(path, "rb").read()
    out = []
    for off in range(0, len(data) - REC.size + 1, REC.size):
        f = REC.unpack_from(data, off)
        if f[1] & 0x0F != 3:
            continue
        out.append({"pid": f[6], "ppid": f[7], "btime": f[8], "etime": f[9] / AHZ,
                    "cpu": (_comp(f[10]) + _comp(f[11])) / AHZ, "exit": f[3],
                    "comm": f[18].split(b"\0")[0].decode(errors="replace")})
    return out


def kind(cmd: str, comm: str) -> str:
    if not cmd:
        return f"[{comm}]"
    a = cmd.split()
    exe = os.path.basename(a[0])
    rest = " ".join(a[1:])
    if exe.startswith("terraform-provider"):
        return "terraform-provider-aws"
    if exe == "terraform":
        sub = next((x for x in a[1:] if not x.startswith("-")), "?")
        return f"terraform {sub}"
    if "spark-class" in cmd or "spark-submit" in cmd:
        return "java (spark)"    # spark-submit / spark-class are bash scripts that exec java
    if exe == "java":
        return "java (spark)" if "spark" in cmd else "java"
    if exe.startswith("python") or exe in ("aws", "lakegate", "pytest", "pip"):
        if "-m localaws" in rest or "localaws serve" in rest:
            return "python localaws serve"
        if "pytest" in rest or exe == "pytest":
            return "python pytest"
        if "pyspark" in rest or "spark" in rest.lower():
            return "python (pyspark worker/daemon)"
        if "/aws " in f" {cmd} " or exe == "aws" or "bin/aws" in cmd:
            return "python aws CLI"
        if "pip" in rest or exe == "pip":
            return "python pip"
        if "lakegate" in rest or exe == "lakegate":
            m = re.search(r"lakegate(?:\.cli)?\s+(\w[\w-]*)", cmd)
            return f"python lakegate {m.group(1) if m else ''}".strip()
        if "moto" in rest:
            return "python moto_server"
        if "checkov" in cmd:
            return "python checkov"
        return "python (other)"
    if "chrom" in exe:
        return "chromium"
    return exe


def run(cmd: list[str], out: str) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    fd, acct_file = tempfile.mkstemp(prefix="pacct-")
    os.close(fd)
    if libc.acct(acct_file.encode()) != 0:
        sys.exit(f"pacct: acct(2) failed ({os.strerror(ctypes.get_errno())}); run as root "
                 "(CAP_SYS_PACCT) or use bench/proc_timeline.py")
    mark = f"PACCT_MARK={os.getpid()}"
    env = dict(os.environ, PACCT_MARK=str(os.getpid()))
    cmdlines: dict[int, str] = {}
    marked: set[int] = set()
    seen_unmarked: set[int] = set()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                pid = int(d)
                if pid in marked or pid in seen_unmarked:
                    continue
                try:
                    envb = open(f"/proc/{d}/environ", "rb").read().split(b"\0")
                    cl = open(f"/proc/{d}/cmdline", "rb").read()
                except OSError:
                    continue
                if not cl:
                    continue
                if mark.encode() in envb:
                    marked.add(pid)
                    cmdlines[pid] = cl.replace(b"\0", b" ").decode(errors="replace")[:300]
                else:
                    seen_unmarked.add(pid)
            stop.wait(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.time()
    try:
        rc = subprocess.call(cmd, env=env)
    finally:
        wall = time.time() - t0
        time.sleep(0.3)
        stop.set()
        t.join()
        libc.acct(None)
    recs = read_records(acct_file)
    os.unlink(acct_file)
    json.dump({"cmd": cmd, "exit": rc, "wall": round(wall, 1), "root_sampler_pid": os.getpid(),
               "marked": sorted(marked), "cmdlines": {str(k): v for k, v in cmdlines.items()},
               "records": recs, "loadavg": os.getloadavg()}, open(out, "w"))
    return rc


def show(path: str, top: int) -> None:
    d = json.load(open(path))
    cmdlines = {int(k): v for k, v in d["cmdlines"].items()}
    marked = set(d["marked"])
    recs = d["records"]
    by_pid = {r["pid"]: r for r in recs}
    sampler = d["root_sampler_pid"]

    def belongs(pid: int, depth: int = 0) -> bool:
        if pid in marked:
            return True
        r = by_pid.get(pid)
        if r is None or depth > 50 or r["ppid"] in (0, 1):
            return False
        if r["ppid"] == sampler:
            return True
        return belongs(r["ppid"], depth + 1)

    mine = [r for r in recs if belongs(r["pid"])]
    groups: dict[str, list] = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for r in mine:
        cl = cmdlines.get(r["pid"], "")
        if not cl:
            # a short process: name it after its parent's kind when the parent is a python helper
            cl = ""
        k = kind(cl, r["comm"])
        g = groups[k]
        g[0] += 1
        g[1] += r["cpu"]
        g[2] += r["etime"]
    total = sum(r["cpu"] for r in mine)
    print(f"{d['cmd']}: exit {d['exit']}, wall {d['wall']} s, CPU {total:.1f} s in "
          f"{len(mine)} processes (of {len(recs)} accounted); load {d['loadavg']}")
    print(f"{'CPU s':>8} {'count':>6} {'life s':>8}  kind")
    for k, (n, cpu, life) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"{cpu:8.1f} {n:6d} {life:8.1f}  {k}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--show")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.show:
        show(a.show, a.top)
        return 0
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd or not a.out:
        ap.error("give --out FILE -- COMMAND ... or --show FILE")
    rc = run(cmd, a.out)
    show(a.out, a.top)
    return rc


if __name__ == "__main__":
    sys.exit(main())
