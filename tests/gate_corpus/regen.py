"""Regenerate ``plan.json`` of every gate corpus case through lakegate's own driver.

Each case (``tests/gate_corpus/<area>/<style>/<case>/`` holding ``expected.json``) is planned
offline with ``lakegate plan CASE --out CASE/plan.json`` (fake credentials, the provider from
the filesystem mirror), exactly what ``lakegate check CASE`` does for a directory input; the
committed plan lets the corpus test run in milliseconds without terraform.

    .venv/bin/python tests/gate_corpus/regen.py            # every case
    .venv/bin/python tests/gate_corpus/regen.py eval/iam   # cases under a sub-folder
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def cases(under: Path = HERE) -> list[Path]:
    return sorted(p.parent for p in under.rglob("expected.json") if ".lakegate" not in p.parts)


def regen(case: Path) -> None:
    out = case / "plan.json"
    lakegate = Path(sys.executable).with_name("lakegate")
    cmd = [str(lakegate) if lakegate.exists() else "lakegate", "plan", str(case), "--out", str(out),
           "--work-dir", str(ROOT / ".lakegate" / "corpus" / case.relative_to(HERE).as_posix().replace("/", "__"))]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{case}: lakegate plan failed:\n{proc.stdout}{proc.stderr}")
    # stable, reviewable diffs: sorted keys, no timestamp
    data = json.loads(out.read_text())
    data.pop("timestamp", None)
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{case.relative_to(HERE)}: plan.json written")


def main(argv: list[str]) -> int:
    roots = [HERE / a for a in argv] or [HERE]
    for root in roots:
        for case in cases(root):
            regen(case)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
