"""Provider mirror discovery and the CLI config lakegate writes for terraform."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakegate.errors import LakegateError
from lakegate.tfenv import (AWS_PROVIDER, MIRROR_ENV, MirrorChoice, cli_config_text, find_mirror,
                            terraform_env)


def make_mirror(root: Path) -> Path:
    """A fake filesystem mirror: the folder layout terraform expects, no real provider."""
    (root / AWS_PROVIDER / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


def test_env_var_wins_over_well_known(tmp_path: Path) -> None:
    explicit = make_mirror(tmp_path / "explicit")
    known = make_mirror(tmp_path / "known")
    choice = find_mirror({MIRROR_ENV: str(explicit)}, candidates=(str(known),))
    assert choice == MirrorChoice(explicit, "env")
    assert str(explicit) in choice.describe() and MIRROR_ENV in choice.describe()


def test_empty_env_var_disables_the_mirror(tmp_path: Path) -> None:
    known = make_mirror(tmp_path / "known")
    choice = find_mirror({MIRROR_ENV: ""}, candidates=(str(known),))
    assert choice.root is None and choice.source == "env"
    assert "none" in choice.describe()


def test_bad_mirror_path_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "not-a-mirror"
    empty.mkdir()
    for value in (str(empty), str(tmp_path / "missing")):
        with pytest.raises(LakegateError) as info:
            find_mirror({MIRROR_ENV: value}, candidates=())
        assert AWS_PROVIDER in info.value.what
        assert info.value.where == f"${MIRROR_ENV}"
        assert "registry.terraform.io" in (info.value.fix or "")


def test_well_known_discovery_takes_the_first_real_mirror(tmp_path: Path) -> None:
    not_mirror = tmp_path / "a"
    not_mirror.mkdir()  # exists but holds no aws provider: skipped
    second = make_mirror(tmp_path / "b")
    third = make_mirror(tmp_path / "c")
    choice = find_mirror({}, candidates=(str(tmp_path / "nope"), str(not_mirror), str(second), str(third)))
    assert choice == MirrorChoice(second, "well-known")
    assert find_mirror({}, candidates=(str(not_mirror),)) == MirrorChoice(None, "none")


def test_cli_config_text_uses_the_mirror_only_for_aws(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path)
    assert "provider_installation {" in text
    assert f'path    = "{tmp_path.as_posix()}"' in text
    mirror_part, direct_part = text.split("direct {")
    assert f'include = ["{AWS_PROVIDER}"]' in mirror_part
    assert f'exclude = ["{AWS_PROVIDER}"]' in direct_part


def test_terraform_env_writes_its_own_cli_config(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    work = tmp_path / "work"
    env = terraform_env(work, environ={"TF_CLI_CONFIG_FILE": "/does/not/exist", "PATH": "/bin"},
                        mirror=MirrorChoice(mirror, "env"))
    cfg = Path(env["TF_CLI_CONFIG_FILE"])
    assert cfg.parent == work and cfg.read_text() == cli_config_text(mirror)
    assert env["CHECKPOINT_DISABLE"] == "1" and env["TF_INPUT"] == "0"
    assert env["PATH"] == "/bin"


def test_terraform_env_without_mirror_drops_a_missing_cli_config(tmp_path: Path) -> None:
    env = terraform_env(tmp_path, environ={"TF_CLI_CONFIG_FILE": "/does/not/exist", MIRROR_ENV: ""})
    assert "TF_CLI_CONFIG_FILE" not in env
    existing = tmp_path / "user.tfrc"
    existing.write_text("")
    env = terraform_env(tmp_path, environ={"TF_CLI_CONFIG_FILE": str(existing), MIRROR_ENV: ""})
    assert env["TF_CLI_CONFIG_FILE"] == str(existing)  # a real user config is kept


def test_mirror_pointing_inside_the_mirror_suggests_its_root(tmp_path: Path) -> None:
    root = make_mirror(tmp_path / "plugins")
    for wrong in (root / "registry.terraform.io", root / AWS_PROVIDER / "5.100.0"):
        with pytest.raises(LakegateError) as info:
            find_mirror({MIRROR_ENV: str(wrong)}, candidates=())
        assert info.value.fix == f"use {root} (the folder that holds registry.terraform.io/)"


def test_cli_config_escapes_the_path(tmp_path: Path) -> None:
    odd = tmp_path / 'we"ird'
    assert 'path    = "' + odd.as_posix().replace('"', '\\"') + '"' in cli_config_text(odd)


def test_terraform_env_is_safe_to_call_from_many_threads_at_once(tmp_path: Path) -> None:
    """Targets run concurrently (threads of one process too) and share the CLI config file."""
    import threading

    mirror = MirrorChoice(make_mirror(tmp_path / "mirror"), "env")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def call(i: int) -> None:
        start.wait()
        try:
            for _ in range(20):
                terraform_env(tmp_path / "work", environ={}, mirror=mirror)
                (tmp_path / "work" / "terraform-cli.tfrc").write_text(f"stale {i}")  # force rewrites
        except BaseException as err:  # noqa: BLE001 - collected for the assert
            errors.append(err)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    env = terraform_env(tmp_path / "work", environ={}, mirror=mirror)
    assert Path(env["TF_CLI_CONFIG_FILE"]).read_text() == cli_config_text(mirror.root)
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["terraform-cli.tfrc"]  # no temp left
