"""A real release stage, end to end, the way a team adds lakegate to its pipeline (slow: run in a
background lane).

1. build the wheel and install it into a fresh virtualenv (no dev extras, no checkout on the path);
2. start the local AWS on its own (``lakegate local up`` of that install);
3. apply the Terraform configuration with plain ``terraform`` (plan -out, show -json, apply the
   plan file) and a provider override of the test's own — not ``lakegate deploy``;
4. upload bronze data written by this test's own helper (no lakegate manifest, no lakegate
   generator);
5. declare the environment ``kind = "aws"`` in lakegate.toml and point boto3 at the local AWS
   with the standard ``AWS_ENDPOINT_URL``;
6. ``lakegate smoke --env it --plan plan.json`` from an unrelated directory: GO, with the alert
   types FV6 computed from the data in the evidence and no rehearsal in the sign-off;
7. inject a fault (the crawler role loses glue:BatchGetPartition): smoke is NO-GO and
   ``lakegate diagnose`` names the runbook's Problem 2.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEV_ONLY = ("hypothesis", "check_jsonschema", "awscli")
SERVICES = ("s3", "glue", "iam", "sts", "athena", "logs", "cloudwatch")


# --- helpers of the test's own ----------------------------------------------------------------------

def run(cmd: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {out.returncode}\nstdout:\n{out.stdout[-4000:]}\n"
                             f"stderr:\n{out.stderr[-4000:]}")
    return out


def find_uv() -> str:
    """uv (a dev dependency: next to this interpreter), else on PATH; missing is a failure."""
    sibling = Path(sys.executable).parent / "uv"
    found = str(sibling) if sibling.is_file() else shutil.which("uv")
    assert found, "uv is not installed: `make setup` installs it (dev extra)"
    return found


def build_and_install(tmp: Path) -> Path:
    """The wheel, built from the checkout, in a fresh virtualenv; returns the venv's bin folder.

    uv builds the wheel (the project's own setuptools backend, in an isolated build environment)
    and installs it, resolving its dependencies afresh from the index, into a new virtualenv
    without system site-packages — what ``pip wheel`` + ``python -m venv`` + ``pip install`` did,
    at a fraction of the CPU (docs/DESIGN.md, "Installer: uv")."""
    uv = find_uv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "UV_"))}
    dist = tmp / "dist"
    run([uv, "build", "-q", "--wheel", "--out-dir", str(dist), str(REPO)], env=env, cwd=tmp, timeout=600)
    wheels = list(dist.glob("lakegate-*.whl"))
    assert len(wheels) == 1, wheels
    target = tmp / "venv"
    base_python = getattr(sys, "_base_executable", None) or sys.executable
    run([uv, "venv", "-q", "--python", base_python, str(target)], env=env, cwd=tmp, timeout=120)
    cfg = (target / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in cfg, cfg
    bin_dir = target / "bin"
    run([uv, "pip", "install", "-q", "--python", str(bin_dir / "python"), str(wheels[0])],
        env=env, cwd=tmp, timeout=1500)
    return bin_dir


def tf_cli_config(tmp: Path) -> Path:
    from lakegate.tfenv import find_mirror

    mirror = find_mirror()
    path = tmp / "terraform.rc"
    if mirror.root is None:
        path.write_text("")
    else:
        path.write_text('provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n'
                        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n'
                        '    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n' % mirror.root)
    return path


def provider_override(endpoint: str) -> str:
    endpoints = "\n".join(f'    {svc} = "{endpoint}"' for svc in SERVICES)
    return ('provider "aws" {\n  access_key = "test"\n  secret_key = "test"\n'
            '  skip_credentials_validation = true\n  skip_metadata_api_check = true\n'
            f'  s3_use_path_style = true\n  endpoints {{\n{endpoints}\n  }}\n}}\n')


def bronze_rows() -> list[dict]:
    """Eight cars, two days; one reading per car and day. Car 1 runs hot (engine), car 2's oil
    overheats, car 3 speeds; the others stay below every limit."""
    rows = []
    for day, dow in ((3, "Mon"), (4, "Tue")):
        for car in range(1, 9):
            engine = 104.5 if car == 1 else 88.0 + car
            oil = 117.0 if car == 2 else 95.0 + car
            speed = 142.0 if car == 3 else 90.0 + car
            rows.append({
                "carChassis": f"9BWZZZ377VT00{car:04d}", "Model": "Gol", "Manufacturer": "volkswagen",
                "year": 2021, "ModelYear": 2022, "gasType": "Flex", "color": "White", "horsePower": 84,
                "fuelCapacityLiters": 55, "currentMileage": 10_000 * car + day * 37,
                "metrics": {"engineTempCelsius": engine, "oilTempCelsius": oil, "batteryChargePerc": 80.0,
                            "fuelAvailableLiters": 31.5, "coolantCelsius": 85.0,
                            "metricTimestamp": f"{dow}, 0{day} Nov 2025 08:15:00",
                            "trip": {"tripMileage": 42.0, "tripTimeMinutes": 51.0, "tripFuelLiters": 3.9,
                                     "tripMaxSpeedKm": speed, "tripAverageSpeedKm": 61.0,
                                     "tripStartTimestamp": f"{dow}, 0{day} Nov 2025 07:24:00"}},
                "carInsurance": {"number": f"POL-{car:05d}", "provider": "Mapfre", "validUntil": "2026-12-31"},
                "market": {"currentPrice": 61000.0, "currency": "BRL", "location": "Campinas",
                           "dealer": "Auto Sul", "evaluator": "FIPE", "warrantyYears": 3.0},
                "ingestion_timestamp": f"2025-11-0{day} 09:00:00", "source_file": f"fleet-0{day}.json",
                "source_bucket": "fleet-landing",
            })
    return rows


def upload_bronze(s3, data_path: str) -> list[str]:
    """Write Parquet per ingest day under the bronze path, as an ingestion job would."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bucket, _, prefix = data_path[5:].partition("/")
    keys = []
    by_day: dict[int, list[dict]] = {}
    for row in bronze_rows():
        by_day.setdefault(int(row["ingestion_timestamp"][8:10]), []).append(row)
    for day, rows in sorted(by_day.items()):
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buf)
        key = f"{prefix.rstrip('/')}/ingest_year=2025/ingest_month=11/ingest_day={day:02d}/fleet-{day:02d}.parquet"
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
        keys.append(key)
    return keys


# --- the test --------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.terraform
def test_release_stage_from_a_wheel_against_a_live_kind_environment(tmp_path):
    import boto3

    from lakegate import localenv

    bin_dir = build_and_install(tmp_path)
    lakegate = str(bin_dir / "lakegate")
    # the install has no dev extras and the checkout is not on its path
    probe = run([str(bin_dir / "python"), "-c",
                 "import importlib.util, json, lakegate, pytest, pytest_bdd; "
                 f"print(json.dumps([lakegate.__file__, [m for m in {DEV_ONLY!r} if importlib.util.find_spec(m)]]))"],
                env=dict(os.environ), cwd=tmp_path)
    installed_at, dev_found = json.loads(probe.stdout)
    assert "site-packages" in installed_at and not installed_at.startswith(str(REPO)), installed_at
    assert dev_found == []

    work = tmp_path / "release"          # an unrelated directory: no checkout, no lakegate sources
    work.mkdir()
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("LAKEGATE_", "AWS_", "PYTEST_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    base_env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", CHECKPOINT_DISABLE="1",
                    LAKEGATE_LOCAL_STATE=str(tmp_path / "local" / "state.json"),
                    LAKEGATE_BACKUP_DIR=str(tmp_path / "backups"))
    run([lakegate, "local", "up"], env=base_env, cwd=work, timeout=120)
    try:
        state = localenv.read_state(tmp_path / "local" / "state.json")
        assert state is not None
        endpoint = state.endpoint

        # --- plain terraform, with a provider override of our own ------------------------------
        tf = work / "infra"
        shutil.copytree(REPO / "terraform", tf, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*",
                                                                             "*_override.tf"))
        (tf / "zz_local_override.tf").write_text(provider_override(endpoint))
        tf_env = dict(base_env, TF_CLI_CONFIG_FILE=str(tf_cli_config(tmp_path)), TF_IN_AUTOMATION="1",
                      AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        terraform = shutil.which("terraform")
        assert terraform, "terraform is not on PATH"
        run([terraform, "init", "-input=false"], env=tf_env, cwd=tf, timeout=300)
        run([terraform, "plan", "-input=false", "-out=tfplan"], env=tf_env, cwd=tf, timeout=600)
        plan_json = work / "plan.json"
        plan_json.write_text(run([terraform, "show", "-json", "tfplan"], env=tf_env, cwd=tf).stdout)
        run([terraform, "apply", "-input=false", "tfplan"], env=tf_env, cwd=tf, timeout=900)
        (work / "outputs.json").write_text(run([terraform, "output", "-json"], env=tf_env, cwd=tf).stdout)
        outputs = {k: v["value"] for k, v in json.loads((work / "outputs.json").read_text()).items()}

        # --- bronze data of our own, no manifest ----------------------------------------------
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        keys = upload_bronze(s3, outputs["bronze_data_path"])
        assert len(keys) == 2
        listed = s3.list_objects_v2(Bucket=outputs["bronze_bucket"]).get("Contents", [])
        assert not [o["Key"] for o in listed if "_lakegate" in o["Key"]]

        # --- a live environment, as users declare it ------------------------------------------
        (work / "lakegate.toml").write_text(
            '[environments.it]\nkind = "aws"\nregion = "us-east-1"\noutputs = "outputs.json"\n'
            'tf_dir = "infra"\n')
        live_env = dict(base_env, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test",
                        AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        smoke = run([lakegate, "smoke", "--env", "it", "--plan", str(plan_json), "--report-dir", "reports"],
                    env=live_env, cwd=work, timeout=1800, check=False)
        detail = f"exit {smoke.returncode}\n{smoke.stdout[-6000:]}\n{smoke.stderr[-3000:]}"
        report = json.loads((work / "reports" / "evidence.json").read_text())
        assert smoke.returncode == 0 and report["decision"] == "GO", detail + json.dumps(report.get("reasons"))
        items = {it["id"]: it for it in report["items"]}
        fv6 = items["FV6"]["records"][0]["evidence"]
        assert fv6["implied_alert_types"] == ["OVERHEAT_ENGINE", "OVERHEAT_OIL", "SPEEDING_ALERT"]
        assert fv6["returned_alert_types"] == fv6["implied_alert_types"]
        assert {v["source"] for v in fv6["limits"].values()} == {"job arguments (GetJob)"}
        for rid in ("P1", "P2", "P3", "P4", "P5", "S1"):
            assert items[rid]["rehearsal"] and not items[rid]["applies"], items[rid]
        assert items["AA2"]["records"][0]["evidence"]["result"].startswith("the recovery plan names no job")
        assert not (work / "reports" / "plan.json").exists()
        assert not list((work / "reports").rglob("*.tfstate")) and not (work / "reports" / "state").exists()

        # --- the next release changes nothing: its plan is a no-op ------------------------------
        noop = work / "noop.json"
        run([terraform, "plan", "-input=false", "-out=tfplan2"], env=tf_env, cwd=tf, timeout=600)
        noop.write_text(run([terraform, "show", "-json", "tfplan2"], env=tf_env, cwd=tf).stdout)
        changes = [rc["address"] for rc in json.loads(noop.read_text()).get("resource_changes", [])
                   if set(rc["change"]["actions"]) - {"no-op", "read"}]
        assert changes == [], f"the local AWS does not round-trip the applied configuration: {changes}"

        # --- a fault: the crawler role loses glue:BatchGetPartition ---------------------------
        run([lakegate, "local", "fault", "crawler-access-denied"], env=base_env, cwd=work)
        broken = run([lakegate, "smoke", "--env", "it", "--plan", str(noop), "--report-dir", "reports-2"],
                     env=live_env, cwd=work, timeout=1800, check=False)
        report2 = json.loads((work / "reports-2" / "evidence.json").read_text())
        assert broken.returncode == 1 and report2["decision"] == "NO-GO", broken.stdout[-4000:]
        assert "AA1 failed" in report2["reasons"]
        ba3 = {it["id"]: it for it in report2["items"]}["BA3"]["records"][0]["evidence"]
        assert ba3["result"] == "no recovery steps required"
        diag = run([lakegate, "diagnose", "--env", "it", "--format", "json"], env=live_env, cwd=work, check=False)
        assert diag.returncode == 1, diag.stdout + diag.stderr
        problems = json.loads(diag.stdout)["problems"]
        p2 = [p for p in problems if p["id"] == "P2"]
        assert p2 and p2[0]["evidence"]["action"] == "glue:BatchGetPartition", problems
        assert outputs["bronze_crawler_name"] in p2[0]["symptom"]
        assert "123456789012" not in diag.stdout and "123456789012" not in broken.stdout   # masked

        # --- a runtime piece missing is a clear error (exit 2), never a NO-GO ------------------
        run([find_uv(), "pip", "uninstall", "-q", "--python", str(bin_dir / "python"), "pytest-bdd"],
            env=base_env, cwd=work)
        missing = run([lakegate, "smoke", "--env", "it", "--report-dir", "reports-3"], env=live_env, cwd=work,
                      check=False)
        assert missing.returncode == 2, missing.stdout + missing.stderr
        assert "pytest_bdd not installed" in missing.stderr and "NO-GO" not in missing.stdout
        for argv in (["--help"], ["recover", "--help"], ["diagnose", "--help"], ["deploy", "--help"]):
            assert run([lakegate, *argv], env=base_env, cwd=work).returncode == 0
    finally:
        run([lakegate, "local", "down"], env=base_env, cwd=work, check=False)
