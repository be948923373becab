"""The override's parse results (provider aliases, teardown blocks) outlive the process: a new
`lakegate smoke` / `deploy` process reads them from the disk cache instead of parsing every *.tf
file with python-hcl2 again; the key is the files' paths and contents and the parsing code."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakegate import terraform


@pytest.fixture
def tf_dir(tmp_path):
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text(
        'provider "aws" {\n  alias = "replica"\n  region = "eu-west-1"\n}\n'
        'resource "aws_s3_bucket" "raw" {\n  bucket = "orders-raw"\n'
        '  lifecycle {\n    prevent_destroy = true\n  }\n}\n')
    return d


@pytest.fixture
def parses(monkeypatch, tmp_path):
    """Counts python-hcl2 parses; a private disk cache; an empty in-process memo."""
    import hcl2

    monkeypatch.setenv(terraform.PARSE_CACHE_ENV, str(tmp_path / "parsed"))
    monkeypatch.setattr(terraform, "_OVERRIDE_MEMO", {})
    count = {"n": 0}
    real_loads, real_load = hcl2.loads, hcl2.load

    def loads(*a, **k):
        count["n"] += 1
        return real_loads(*a, **k)

    def load(*a, **k):
        count["n"] += 1
        return real_load(*a, **k)

    monkeypatch.setattr(hcl2, "loads", loads)
    monkeypatch.setattr(hcl2, "load", load)
    return count


def _override(tf_dir: Path, tmp_path: Path) -> str:
    return terraform.TerraformDriver(tf_dir, target="local", endpoint="http://127.0.0.1:4566",
                                     work_dir=tmp_path / "work")._override()


def test_a_new_process_reads_the_parsed_override_from_disk(tf_dir, tmp_path, parses, monkeypatch):
    first = _override(tf_dir, tmp_path)
    assert parses["n"] > 0
    assert "replica" in first and "prevent_destroy = false" in first and "force_destroy = true" in first
    monkeypatch.setattr(terraform, "_OVERRIDE_MEMO", {})     # as in a new process
    parses["n"] = 0
    assert _override(tf_dir, tmp_path) == first
    assert parses["n"] == 0


def test_changed_files_are_parsed_again(tf_dir, tmp_path, parses, monkeypatch):
    first = _override(tf_dir, tmp_path)
    (tf_dir / "main.tf").write_text('resource "aws_s3_bucket" "raw" {\n  bucket = "orders-raw"\n}\n')
    monkeypatch.setattr(terraform, "_OVERRIDE_MEMO", {})
    parses["n"] = 0
    second = _override(tf_dir, tmp_path)
    assert parses["n"] > 0
    assert second != first and "replica" not in second and "prevent_destroy = false" not in second


def test_a_damaged_or_disabled_cache_only_means_parsing_again(tf_dir, tmp_path, parses, monkeypatch):
    first = _override(tf_dir, tmp_path)
    for path in (tmp_path / "parsed").iterdir():
        path.write_text("{not json")
    monkeypatch.setattr(terraform, "_OVERRIDE_MEMO", {})
    parses["n"] = 0
    assert _override(tf_dir, tmp_path) == first and parses["n"] > 0
    monkeypatch.setenv(terraform.PARSE_CACHE_ENV, "off")
    monkeypatch.setattr(terraform, "_OVERRIDE_MEMO", {})
    parses["n"] = 0
    assert _override(tf_dir, tmp_path) == first and parses["n"] > 0


def test_the_disk_cache_keeps_only_the_newest_entries(tmp_path):
    folder = tmp_path / "parsed"
    folder.mkdir()
    import os
    for i in range(10):
        (folder / f"aliases-{i}.json").write_text("{}")
        os.utime(folder / f"aliases-{i}.json", (1000 + i, 1000 + i))
    terraform._prune_parse_cache(folder, keep=8)
    assert sorted(p.name for p in folder.iterdir()) == [f"aliases-{i}.json" for i in range(6, 10)]
