"""`make bench`: run every benchmark script in bench/ (bench_*.py), each in its own process.

Why a runner: each area owns its own bench script with its own baseline; this only sequences
them and fails when one fails. Extra arguments are passed to every script (e.g. ``--record``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(BENCH.glob("bench_*.py"))
    if not scripts:
        print("no bench/bench_*.py scripts found", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        rc = subprocess.run([sys.executable, str(script), *argv], cwd=BENCH.parent).returncode
        if rc != 0:
            failed.append(f"{script.name} (exit {rc})")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
