"""What lets the driver run fewer/cheaper terraform commands: init is not redone for a new local
AWS port, and the override text is parsed once per configuration content."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakegate import terraform as tfmod
from lakegate.terraform import TerraformDriver

MAIN = """
provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
}

resource "aws_s3_bucket" "raw" {
  bucket = "orders-raw"
  lifecycle {
    prevent_destroy = true
  }
}
"""


@pytest.fixture()
def tf_dir(tmp_path: Path) -> Path:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text(MAIN)
    return d


def test_a_new_endpoint_keeps_the_init_fingerprint_but_a_new_provider_alias_does_not(tmp_path, tf_dir):
    work = tmp_path / "work"
    a = TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:4566", work_dir=work)
    first = a._sync()
    assert a._env()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    b = TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:45123", work_dir=work)
    assert b._sync() == first
    # ... while terraform is pointed at the new endpoint
    assert b._env()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:45123"
    assert "4566" not in (b.copy_dir / tfmod.OVERRIDE_FILE).read_text()
    # the same when the configuration has its own endpoints block (then the override file names it)
    (tf_dir / "main.tf").write_text(MAIN.replace('region = "eu-west-1"',
                                                 'region = "eu-west-1"\n  endpoints {\n    s3 = "http://localhost:4566"\n  }'))
    a2 = TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:4566", work_dir=work)
    first = a2._sync()
    b2 = TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:45123", work_dir=work)
    assert b2._sync() == first
    text = (b2.copy_dir / tfmod.OVERRIDE_FILE).read_text()
    assert "http://127.0.0.1:45123" in text and "4566" not in text
    # a third aws provider alias changes what init must set up: a new fingerprint
    (tf_dir / "main.tf").write_text(MAIN + '\nprovider "aws" {\n  alias  = "dr"\n  region = "us-west-2"\n}\n')
    c = TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:45123", work_dir=work)
    assert c._sync() != first


def test_the_override_follows_the_files_content_not_a_stale_memo(tf_dir, tmp_path):
    d = TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:4566", work_dir=tmp_path / "w")
    before = d._override()
    assert '"replica"' in before and '"backup"' not in before
    (tf_dir / "main.tf").write_text(MAIN.replace('"replica"', '"backup"'))
    after = d._override()
    assert '"backup"' in after and '"replica"' not in after
    assert d._override() == after
