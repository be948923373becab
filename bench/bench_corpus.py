"""Precision and recall of ``lakegate check`` over the gate corpus, and the time per configuration.

The corpus (``tests/gate_corpus/<area>/<style>/<case>/``, both gate areas' cases) holds
configurations written in the styles of public repositories: each healthy version expects zero
findings, each defect variant exactly its expected (rule_id, address) findings. Over all cases:

* precision = expected findings reported / all findings reported (false alarms lower it);
* recall    = expected findings reported / all expected findings (missed defects lower it).

Each case is checked in-process from its committed ``plan.json`` with ``tf_dir=case`` (what the
corpus test does); the time is the ``check_path`` wall time (imports excluded, best of
``--repeat``).

Usage::

    .venv/bin/python bench/bench_corpus.py            # table + totals
    .venv/bin/python bench/bench_corpus.py --record   # also update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO / "tests" / "gate_corpus"
RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- corpus-bench:start -->", "<!-- corpus-bench:end -->"


def cases() -> list[Path]:
    return sorted(p.parent for p in CORPUS.rglob("expected.json") if ".lakegate" not in p.parts)


def run_case(case: Path, repeat: int) -> dict:
    from tf_checks.engine import check_path

    expected = json.loads((case / "expected.json").read_text())
    want = {(f["rule_id"], f["address"]) for f in expected["findings"]}
    best = None
    got: set = set()
    error = None
    for _ in range(repeat):
        t = time.perf_counter()
        try:
            result = check_path(case / "plan.json", tf_dir=case)
        except Exception as err:  # noqa: BLE001 - a crash is reported per case, not fatal
            error = f"{type(err).__name__}: {err}"
            break
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
        got = {(f.rule_id, f.address) for f in result.findings if not f.suppressed}
    return {"case": case.relative_to(CORPUS).as_posix(), "want": want, "got": got,
            "tp": len(want & got), "fp": len(got - want), "fn": len(want - got),
            "seconds": best, "error": error}


def report(rows: list[dict]) -> str:
    lines = ["| case | expected | reported | TP | FP | FN | check s |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        sec = f"{r['seconds']:.3f}" if r["seconds"] is not None else f"error: {r['error']}"
        lines.append(f"| {r['case']} | {len(r['want'])} | {len(r['got'])} | {r['tp']} | {r['fp']} | "
                     f"{r['fn']} | {sec} |")
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    times = [r["seconds"] for r in rows if r["seconds"] is not None]
    healthy = [r for r in rows if r["case"].rsplit("/", 1)[-1].startswith("healthy") or not r["want"]]
    lines += ["", f"{len(rows)} configurations ({len(healthy)} expecting no finding): "
                  f"precision {precision:.3f} ({tp} of {tp + fp} reported findings expected), "
                  f"recall {recall:.3f} ({tp} of {tp + fn} expected findings reported); "
                  f"check time per configuration: median {sorted(times)[len(times) // 2]:.3f} s, "
                  f"max {max(times):.3f} s" if times else "no timing"]
    wrong = [r for r in rows if r["fp"] or r["fn"] or r["error"]]
    for r in wrong:
        lines.append(f"- {r['case']}: missed {sorted(r['want'] - r['got'])}, "
                     f"unexpected {sorted(r['got'] - r['want'])}" + (f", error {r['error']}" if r["error"] else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--record", action="store_true", help="write the result into bench/RESULTS.md")
    args = ap.parse_args(argv)
    found = cases()
    if not found:
        print(f"no corpus cases under {CORPUS}", file=sys.stderr)
        return 2
    run_case(found[0], 1)   # warm-up: imports and one-time data loads are not per-configuration work
    rows = [run_case(c, args.repeat) for c in found]
    text = report(rows)
    print(text)
    if args.record:
        cmd = "`.venv/bin/python bench/bench_corpus.py" + (" " + " ".join(argv) if argv else "") + "`"
        block = f"{START}\n## Gate corpus: precision and recall\n\n{cmd}\n\n{text}\n{END}"
        old = RESULTS.read_text() if RESULTS.exists() else ""
        if START in old and END in old:
            new = old[:old.index(START)] + block + old[old.index(END) + len(END):]
        else:
            new = old.rstrip() + "\n\n" + block + "\n"
        RESULTS.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
