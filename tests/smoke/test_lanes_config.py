"""The background lanes (tests/_background.py) name real tests, each once."""

from __future__ import annotations

import ast
from pathlib import Path

from tests import _background

ROOT = Path(__file__).resolve().parents[2]


def test_every_lane_node_id_names_an_existing_test_function_once() -> None:
    ids = _background.wanted()
    assert len(ids) == len(set(ids)), "a test is listed in two lanes"
    for nodeid in ids:
        path, _, name = nodeid.partition("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert name in names, f"{nodeid}: no such test function (renamed? update LANES)"


def test_scenarios_never_run_in_a_lane() -> None:
    # pytest-bdd's Cucumber output and the session world stay in the main session
    assert not [n for n in _background.wanted() if n.startswith(("steps/", "lakegate/scenarios/"))]


def test_a_lane_verdict_becomes_the_items_outcome(tmp_path: Path) -> None:
    """A throwaway project whose conftest uses tests/conftest.py's hooks with one lane: the lane's
    failure, skip and pass (with captured output) are the items' outcomes in the main session."""
    import os
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text(
        "from tests import _background\n"
        "from tests.conftest import *  # noqa: F401,F403 - the hooks under test\n"
        "_background.LANES = (('test_x.py::test_fails', 'test_x.py::test_skips',\n"
        "                      'test_x.py::test_passes'),)\n")
    (tmp_path / "test_x.py").write_text(
        "import os, pytest\n"
        "@pytest.fixture(scope='module')\n"
        "def built(tmp_path_factory):\n"
        "    where = 'lane' if os.environ.get('LAKEGATE_TEST_LANE_RESULTS') else 'main'\n"
        "    with open(os.environ['BUILT_LOG'], 'a') as fh:\n"
        "        fh.write(where + '\\n')\n"
        "    return where\n"
        "def test_fails(built):\n"
        "    print('printed in the lane')\n"
        "    assert os.environ.get('LAKEGATE_TEST_LANE_RESULTS', '') == 'main', 'ran in the lane'\n"
        "def test_skips():\n"
        "    pytest.skip('skipped in the lane')\n"
        "def test_passes(built):\n"
        "    assert os.environ.get('LAKEGATE_TEST_LANE_RESULTS') and built == 'lane'\n"
        "def test_in_the_main_session():\n"
        "    assert not os.environ.get('LAKEGATE_TEST_LANE_RESULTS')\n")
    built_log = tmp_path / "built.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUILT_LOG=str(built_log))
    for key in ("PYTEST_ADDOPTS", _background.CHILD_ENV, _background.SWITCH_ENV):
        env.pop(key, None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
                           "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "1 failed, 2 passed, 1 skipped" in out, out
    assert "AssertionError: ran in the lane" in out and "ran in background lane 1" in out
    assert "printed in the lane" in out  # the lane's captured output is shown here
    assert "SKIPPED" in out and "skipped in the lane" in out
    assert "PASSED test_x.py::test_passes" in out and "PASSED test_x.py::test_in_the_main_session" in out
    # the lane tests' module fixture was built once, in the lane; the main session's items for
    # them requested no fixture
    assert built_log.read_text().split() == ["lane"], built_log.read_text()
