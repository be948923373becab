"""End to end: `lakegate local up` → `lakegate deploy --target local` of the real terraform/ →
plan shows no changes → an in-place change (UpdateJob, tags, bucket policy) is planned, asserted
and exactly that plan applied → plan clean → destroy. Slow (terraform + provider start-up, the
provider's lifecycle-settling wait)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lakegate import localenv
from lakegate.deploy import deploy_local
from lakegate.terraform import TerraformDriver, summarize_plan

ROOT = Path(__file__).resolve().parents[2]
TF_DIR = ROOT / "terraform"


@pytest.mark.slow
@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_deploy_plan_clean_change_destroy(tmp_path: Path) -> None:
    state = tmp_path / "local" / "state.json"
    st = localenv.start(path=state, timeout=60, exit_with_pid=os.getpid())
    work = tmp_path / "tf"
    try:
        # cache="refresh": always a real terraform apply from nothing (then saved in the deploy
        # cache, so later deploys of the same configuration in this run restore it)
        res = deploy_local(TF_DIR, rows=300, seed=1, state_path=state, work_dir=work, cache="refresh")
        assert res.cache == "miss"
        out = res.outputs
        s3, glue, athena = (localenv.client(s, st) for s in ("s3", "glue", "athena"))
        # what Terraform made is really there
        assert glue.get_database(Name=out["database_name"])["Database"]["Name"] == out["database_name"]
        assert {j for j in out["job_names"].values()} <= set(glue.list_jobs()["JobNames"])
        wg = athena.get_work_group(WorkGroup=out["athena_workgroup_name"])["WorkGroup"]
        assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"].startswith("s3://")
        # bronze data uploaded under the output path
        assert res.uploaded and all(k.startswith(res.bronze_prefix) for k in res.uploaded)
        listed = s3.list_objects_v2(Bucket=res.bronze_bucket, Prefix=res.bronze_prefix)
        assert listed["KeyCount"] == len(res.uploaded)
        assert (state.parent / "deploy.json").exists()

        # a refreshed plan is empty: `plan -detailed-exitcode` exits 0 (no resource and no output
        # change). Stricter than listing the plan's non-no-op resource changes, and without the
        # `show -json` of a driver plan (one AWS provider start less); a non-empty plan would be
        # applied by apply_planned, and the test fails right here
        driver = TerraformDriver(TF_DIR, target="local", endpoint=st.endpoint, work_dir=work)
        assert driver.apply_planned(refresh=True) is False, \
            "terraform planned (and applied) a change right after the deploy"

        changed = TerraformDriver(TF_DIR, target="local", endpoint=st.endpoint, work_dir=work,
                                  variables={"job_timeout_minutes": 30, "engine_temp_limit": 95,
                                             "tags": {"Owner": "lakegate"},
                                             "deny_insecure_transport": True})
        # that very plan is applied: the change applied is the one asserted on, without a second
        # refresh and plan of every resource
        plan = changed.plan(keep_plan_file=True)
        assert summarize_plan(plan)["change"] > 0 and summarize_plan(plan)["destroy"] == 0
        changed.apply_plan()
        job = glue.get_job(JobName=out["gold_alerts_job_name"])["Job"]
        assert job["Timeout"] == 30 and job["DefaultArguments"]["--engine_temp_limit"] == "95"
        arn = (f"arn:aws:athena:us-east-1:{out['account_id']}:workgroup/"
               f"{out['athena_workgroup_name']}")
        tags = {t["Key"]: t["Value"] for t in athena.list_tags_for_resource(ResourceARN=arn)["Tags"]}
        assert tags.get("Owner") == "lakegate"
        # TLS-only bucket policies are in place and do not block (TLS on AWS)
        assert s3.get_bucket_policy(Bucket=res.bronze_bucket)["Policy"]
        assert s3.head_object(Bucket=res.bronze_bucket, Key=res.uploaded[0])["ContentLength"] > 0
        assert changed.apply_planned(refresh=True) is False, \
            "terraform planned (and applied) a change right after applying the change"

        # versioned buckets with data, force_destroy; the refreshed plan above found the state
        # current, so the destroy does not read every object again
        changed.destroy(refresh=False)
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert res.bronze_bucket not in names
        assert out["database_name"] not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]
        assert localenv.health(st.endpoint)["background_errors"] == []
    finally:
        localenv.stop(path=state)
