"""A fresh working copy of a configuration an earlier copy already initialised gets a copy of
that init (.terraform/ with its provider symlinks and modules, the lock file) instead of running
`terraform init` again (TerraformDriver, "init templates"); anything init-relevant that differs is
a new init."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakegate.terraform import INIT_TEMPLATES_ENV, TERRAFORM_ENV, TerraformDriver

FAKE_TF = """#!/bin/sh
echo "$@" >> %(log)s
case "$1" in
  version) echo '{"terraform_version": "1.11.4"}'; exit 0 ;;
  init)
    mkdir -p .terraform/modules .terraform/providers
    echo '{"Modules": []}' > .terraform/modules/modules.json
    ln -sfn %(provider)s .terraform/providers/aws
    echo '# lock written by init' > .terraform.lock.hcl
    if [ -n "$FAKE_BIG" ]; then head -c 2000000 /dev/zero > .terraform/providers/binary; fi
    exit 0 ;;
esac
exit 0
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    log = tmp_path / "calls.log"
    provider = tmp_path / "plugin-cache" / "aws"
    provider.mkdir(parents=True)
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir()
    binary.write_text(FAKE_TF % {"log": log, "provider": provider})
    binary.chmod(0o755)
    monkeypatch.setenv(TERRAFORM_ENV, str(binary))
    monkeypatch.delenv(INIT_TEMPLATES_ENV, raising=False)
    monkeypatch.delenv("FAKE_BIG", raising=False)
    src = tmp_path / "infra"
    src.mkdir()
    (src / "main.tf").write_text('resource "aws_s3_bucket" "raw" {\n  bucket = "orders-raw"\n}\n')
    return {"log": log, "src": src, "provider": provider,
            "inits": lambda: sum(1 for ln in log.read_text().splitlines() if ln.startswith("init"))}


def _init(fake, work: Path) -> Path:
    TerraformDriver(fake["src"], target="local", endpoint="http://127.0.0.1:4566", work_dir=work).init()
    return work / "local"


def test_a_fresh_copy_of_the_same_configuration_reuses_the_init(fake, tmp_path):
    first = _init(fake, tmp_path / "w1")
    assert fake["inits"]() == 1
    second = _init(fake, tmp_path / "w2")     # another throw-away copy, same configuration
    assert fake["inits"]() == 1
    assert (second / ".terraform" / "modules" / "modules.json").read_text() == \
        (first / ".terraform" / "modules" / "modules.json").read_text()
    assert (second / ".terraform" / "providers" / "aws").resolve() == fake["provider"].resolve()
    assert (second / ".terraform.lock.hcl").read_text() == "# lock written by init\n"


def test_a_changed_configuration_a_broken_link_or_off_means_init(fake, tmp_path, monkeypatch):
    _init(fake, tmp_path / "w1")
    (fake["src"] / "main.tf").write_text('resource "aws_s3_bucket" "raw" {\n  bucket = "other"\n}\n')
    _init(fake, tmp_path / "w2")
    assert fake["inits"]() == 2
    fake["provider"].rmdir()                  # e.g. a cleared plugin cache
    _init(fake, tmp_path / "w3")
    assert fake["inits"]() == 3
    fake["provider"].mkdir()
    monkeypatch.setenv(INIT_TEMPLATES_ENV, "off")
    _init(fake, tmp_path / "w4")
    assert fake["inits"]() == 4


def test_provider_binaries_in_the_copy_are_not_kept(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BIG", "1")       # no plugin cache: init copies the provider in
    _init(fake, tmp_path / "w1")
    _init(fake, tmp_path / "w2")
    assert fake["inits"]() == 2
