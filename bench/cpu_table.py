"""Summarise a ``LAKEGATE_TEST_CPU_LOG`` file (tests/_cpu_profile.py): CPU and wall per test.

    python bench/cpu_table.py FILE [--top 40]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    cpu: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)
    lane: dict[str, bool] = {}
    by_file: dict[str, float] = defaultdict(float)
    for line in open(args.file, encoding="utf-8"):
        rec = json.loads(line)
        cpu[rec["nodeid"]] += rec["cpu"]
        wall[rec["nodeid"]] += rec["wall"]
        lane[rec["nodeid"]] = lane.get(rec["nodeid"], False) or rec["lane"]
        by_file[rec["nodeid"].split("::")[0]] += rec["cpu"]
    main_cpu = sum(v for k, v in cpu.items() if not lane[k])
    lane_cpu = sum(v for k, v in cpu.items() if lane[k])
    print(f"tests: {len(cpu)}; CPU in the main session {main_cpu:.0f} s, in the lanes {lane_cpu:.0f} s")
    print(f"{'CPU s':>7} {'wall s':>7}  test")
    for nodeid, c in sorted(cpu.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{c:7.1f} {wall[nodeid]:7.1f}  {'[lane] ' if lane[nodeid] else ''}{nodeid}")
    print(f"\n{'CPU s':>7}  file")
    for f, c in sorted(by_file.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{c:7.1f}  {f}")


if __name__ == "__main__":
    main()
