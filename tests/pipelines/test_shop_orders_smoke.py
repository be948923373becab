"""`lakegate smoke --env shop` on a pipeline lakegate did not write (tests/pipelines/shop_orders):
terraform apply into the local AWS, its own JSON seed files, its workflow of crawlers, Spark jobs
and a Python-shell job to COMPLETED; every runbook item either passes, or is SKIPPED with the
precise reason this pipeline cannot give it (never a traceback, never a false PASS).

Slow (terraform apply + one JVM per Spark job run, several workflow runs): a background lane. The
three rehearsals whose faults make the Spark jobs run again (P1, P3, S1: about 10 minutes of JVM
start-ups on CI's loaded cores) are left out of this CI test with ``-m``; every other item runs,
and the rehearsals of faults placed on this pipeline's own crawler and job (P2, P4, P5) must PASS.
`lakegate smoke --env shop` without tags runs all of them (docs/generic-pipelines.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parent / "shop_orders"
#: items that must PASS on any pipeline with a workflow of crawlers and jobs
GENERIC = {"BA1", "BA3", "BA5", "STEP1", "AA1", "AA2", "AA4", "AA5", "AA7", "FV1", "FV2", "FV3", "FV7"}
#: rehearsals whose fault the local AWS places on this pipeline's own crawler/job, found from its graph
REHEARSED = {"P2", "P4", "P5"}
TAGS = "not (P1 or P3 or S1)"
SKIP_REASONS = ("Skipped: cannot verify on this pipeline: ", "Skipped: not applicable to this pipeline: ")


@pytest.mark.slow
def test_smoke_runs_a_users_pipeline_to_completed(tmp_path):
    (tmp_path / "lakegate.toml").write_text(
        "[environments.shop]\n"
        'kind = "local"\n'
        'region = "eu-central-1"\n'
        f'tf_dir = "{PIPELINE}"\n'
        f'seed = "{PIPELINE / "seed"}"\n'
        "\n[gate]\n"
        'account_id = "123456789012"\n')
    env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(tmp_path / "user-local" / "state.json"), CHECKPOINT_DISABLE="1")
    env.pop("LAKEGATE_CONFIG", None)
    env.pop("PYTEST_ADDOPTS", None)
    out = subprocess.run([sys.executable, "-m", "lakegate", "smoke", "--env", "shop", "--report-dir", "rep",
                          "-m", TAGS],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=3000)
    detail = f"exit {out.returncode}\nstdout tail:\n{out.stdout[-3000:]}\nstderr tail:\n{out.stderr[-3000:]}"
    assert out.returncode in (0, 1), detail
    records = [json.loads(line) for line in (tmp_path / "rep" / "evidence.jsonl").read_text().splitlines() if line]
    status = {r["item_id"]: r["status"] for r in records}
    assert all(status.get(i) == "PASS" for i in GENERIC | REHEARSED), {i: status.get(i) for i in GENERIC | REHEARSED}
    assert not {"P1", "P3", "S1"} & {i for i, st in status.items() if st in ("PASS", "FAIL")}, status
    # the workflow of this pipeline ran to COMPLETED with its 6 actions succeeded (FV1's evidence)
    fv1 = next(r for r in records if r["item_id"] == "FV1")
    assert fv1["env"] == "shop" and fv1["status"] == "PASS"
    # BA2: this pipeline's data.aws_iam_policy_document is a for expression over aws_s3_bucket.this
    # whose names need the account id: the gate cannot evaluate it at plan time and says so
    # (LG-RESOLVE-*, fail closed). Never a false LG-IAM-001: the same role works in the run.
    fails = {r["item_id"]: r["failure"] for r in records if r["status"] == "FAIL"}
    assert set(fails) <= {"BA2"}, fails
    for f in fails.values():
        assert "LG-RESOLVE-" in f and "LG-IAM-001" not in f, f
    for r in records:
        if r["status"] == "SKIP":
            assert r["failure"].startswith(SKIP_REASONS) or "local rehearsal" in r["failure"], r
    assert "Traceback (most recent call last)" not in out.stderr, detail
