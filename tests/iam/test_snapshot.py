"""The managed-policy snapshot is reproducible from moto and the runtime never imports moto."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_snapshot_is_reproducible(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_managed_policies as gen
    finally:
        sys.path.pop(0)
    out = tmp_path / "snap.json.gz"
    gen.write(gen.build(), out)
    committed = ROOT / "tf_checks" / "data" / "aws_managed_policies.json.gz"
    assert out.read_bytes() == committed.read_bytes(), \
        "snapshot is stale: run .venv/bin/python tools/gen_managed_policies.py"
    assert committed.stat().st_size < 200_000


def test_runtime_does_not_import_moto():
    code = ("import sys, tf_checks.iam as i, tf_checks.requirements as r\n"
            "g = i.managed_policy('AWSGlueServiceRole')\n"
            "i.evaluate([g], 'glue:GetTable', 'arn:aws:glue:us-east-1:1:table/d/t')\n"
            "i.unknown_actions(g)\n"
            "r.crawler_requirements(region='r', account='a', database='d', "
            "s3_targets=['s3://b/p/'])\n"
            "assert not any(m == 'moto' or m.startswith('moto.') for m in sys.modules)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
