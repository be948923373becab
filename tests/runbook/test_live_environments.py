"""Live environments as users have them: lakegate.toml settings (endpoint_url, region, profile,
waivers), AWS_ENDPOINT_URL honoured through boto3, names (tables included) from the outputs, and
clear errors for a missing output."""

from __future__ import annotations

import json

import pytest

from lakegate import envconfig
from lakegate.errors import LakegateError
from lakegate.names import PipelineNames
from tests.runbook.test_runbook_stubbed import OUTPUTS


def _config(tmp_path, text: str):
    path = tmp_path / "lakegate.toml"
    path.write_text(text)
    return envconfig.load_environments(path)


def test_endpoint_url_region_and_waivers(tmp_path):
    envs = _config(tmp_path, '[waivers]\nAA7 = "log retention handled by the platform team"\n'
                             '[environments.stage]\nkind = "aws"\nregion = "eu-west-1"\n'
                             'endpoint_url = "http://localhost:4566"\n'
                             '[environments.stage.waivers]\nAA2 = "bookmarks owned by the data team (CHG-7)"\n')
    stage = envs["stage"]
    assert stage.endpoint_url == "http://localhost:4566" and stage.resolved_region() == "eu-west-1"
    assert stage.waivers == {"AA7": "log retention handled by the platform team",
                             "AA2": "bookmarks owned by the data team (CHG-7)"}
    assert not stage.fault_capable and envs["local"].fault_capable
    assert envs["local"].waivers == {"AA7": "log retention handled by the platform team"}
    assert envconfig.Clients(stage).endpoint == "http://localhost:4566"


@pytest.mark.parametrize("text, words", [
    ('[environments.x]\nkind = "aws"\nendpoint_url = "localhost:4566"\n', "not an http(s) URL"),
    ('[environments.x]\nkind = "aws"\n[environments.x.waivers]\nFV9 = "why"\n', "unknown checklist item 'FV9'"),
    ('[environments.x]\nkind = "aws"\n[environments.x.waivers]\nAA2 = "  "\n', "has no reason"),
    ('[environments.x]\nkind = "aws"\nregion = ""\n', "region must be a non-empty string"),
])
def test_bad_settings_are_clear_errors(tmp_path, text, words):
    with pytest.raises(LakegateError) as err:
        _config(tmp_path, text)
    assert words in err.value.what and err.value.fix


def test_region_comes_from_the_standard_chain(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    env = _config(tmp_path, '[environments.x]\nkind = "aws"\n')["x"]
    assert env.region is None and env.resolved_region() == "sa-east-1"


def test_aws_endpoint_url_is_left_to_boto3(tmp_path, monkeypatch):
    """Without endpoint_url the clients pass none, so boto3's own AWS_ENDPOINT_URL applies."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    env = _config(tmp_path, '[environments.x]\nkind = "aws"\nregion = "us-east-1"\n')["x"]
    clients = envconfig.Clients(env)
    assert clients.endpoint is None
    assert clients.glue.meta.endpoint_url == "http://127.0.0.1:4599"
    assert clients.glue.meta.config.retries["mode"] == "standard"


def test_an_unknown_profile_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    env = _config(tmp_path, '[environments.x]\nkind = "aws"\nprofile = "nope"\n')["x"]
    with pytest.raises(LakegateError) as err:
        envconfig.boto_session(env)
    assert "profile 'nope'" in err.value.what


def test_tables_come_from_the_outputs_not_from_the_reference_names():
    names = PipelineNames.from_outputs(OUTPUTS)
    assert names.tables_by_role() == {"bronze": "bronze_car_data", "silver": "silver_car_telemetry",
                                      "gold_current_state": "gold_car_current_state",
                                      "alerts": "alerts_of_the_fleet"}


def test_a_missing_output_names_the_output_and_the_file(tmp_path):
    doc = {k: {"value": v, "type": "string"} for k, v in OUTPUTS.items() if k != "bronze_data_path"}
    path = tmp_path / "prod-outputs.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(LakegateError) as err:
        PipelineNames.from_file(path)
    assert "bronze_data_path" in err.value.what and err.value.where == str(path)


def test_a_job_whose_output_no_crawler_reads_is_a_clear_error():
    names = PipelineNames.from_outputs({**OUTPUTS, "job_output_paths": {"silver": "s3://elsewhere/x/"}})
    with pytest.raises(LakegateError) as err:
        names.silver_table
    assert "silver" in err.value.what and "s3://elsewhere/x/" in err.value.what


def test_per_partition_tables_are_found_by_the_partition_keys_not_by_name():
    from lakegate.runbook import TableCheck

    present = {"fleet_raw": {"partition_keys": ["dt"]}, "fleet_raw_dt_20251103": {"partition_keys": []},
               "lookup_v2": {"partition_keys": []}, "bronze_ingest_year_2025": {"partition_keys": []}}
    check = TableCheck("db", ["fleet_raw"], present)
    assert check.unexpected_partition_tables == ["fleet_raw_dt_20251103", "bronze_ingest_year_2025"]
