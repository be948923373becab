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
    # a scenario is never a lane test itself: with SCENARIO_RUN in a lane, the main session's
    # scenario items report that run's verdicts (tests below); otherwise they run in the session
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


_SCENARIO_PROJECT = {
    "conftest.py":
        "from tests import _background\n"
        "from tests.conftest import *  # noqa: F401,F403 - the hooks under test\n"
        "_background.SCENARIO_RUN = 'test_run.py::test_the_run'\n"
        "_background.LANES = ((_background.SCENARIO_RUN,),)\n"
        "def _ids(item):  # stands in for the runbook scenarios: the items of test_scen.py\n"
        "    return sorted(m.name for m in item.iter_markers() if m.name[:2] in ('BA', 'FV')) \\\n"
        "        if item.path.name == 'test_scen.py' else []\n"
        "_background.scenario_ids = _ids\n",
    # the lane test: a run whose evidence.json (written by lakegate's own evidence/reports code)
    # says BA1 PASS, BA2 FAIL, BA3 SKIP (waived) and has nothing for BA4 (NOT RUN)
    "test_run.py":
        "import os, time\n"
        "from lakegate import evidence as ev\n"
        "from lakegate.reports import write_all\n"
        "from tests import _background\n"
        "def test_the_run(tmp_path):\n"
        "    if os.environ.get('RUN_DIES'):\n"
        "        os._exit(3)\n"
        "    ev.write_meta(tmp_path, {'env': 'local'})\n"
        "    now = time.time()\n"
        "    for item_id, scenario, status, failure in (\n"
        "            ('BA1', 'First scenario', 'PASS', ''),\n"
        "            ('BA2', 'Second scenario', 'FAIL', 'AssertionError: boom in the run'),\n"
        "            ('BA3', 'Third scenario', 'SKIP', 'waived: no such thing here')):\n"
        "        ev.append(tmp_path, ev.Record(item_id, scenario, status, feature='Before apply',\n"
        "                  started=now, finished=now + 1, failure=failure,\n"
        "                  steps=[{'keyword': 'Given', 'text': 'a step', 'status': status,\n"
        "                          'duration': 1.0}]))\n"
        "    write_all(tmp_path)\n"
        "    output = ('=== FAILURES ===\\n______ test_second_scenario ______\\n'\n"
        "              'printed by the second scenario\\n______ test_other_one ______\\nnot this\\n')\n"
        "    assert _background.record_scenarios(tmp_path, output) == (3 if _background.in_lane() else 0)\n",
    "test_scen.py":
        "import os, pytest\n"
        "@pytest.fixture\n"
        "def world():\n"
        "    with open(os.environ['BUILT_LOG'], 'a') as fh:\n"
        "        fh.write('world\\n')\n"
        "@pytest.mark.BA1\n"
        "def test_first(world):\n"
        "    assert 0, 'ran in-process'\n"
        "@pytest.mark.BA2\n"
        "def test_second(world):\n"
        "    pass\n"
        "@pytest.mark.BA3\n"
        "def test_third(world):\n"
        "    pass\n"
        "@pytest.mark.BA4\n"
        "def test_fourth(world):\n"
        "    pass\n",
    "test_other.py": "def test_in_the_main_session():\n    pass\n",
}


def _run_project(tmp_path: Path, *args: str, **extra: str) -> tuple[str, list[str]]:
    import os
    import subprocess
    import sys

    for name, text in _SCENARIO_PROJECT.items():
        (tmp_path / name).write_text(text)
    built_log = tmp_path / "built.log"
    built_log.write_text("")
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUILT_LOG=str(built_log), **extra)
    for key in ("PYTEST_ADDOPTS", _background.CHILD_ENV):
        env.pop(key, None)
    if "LAKEGATE_TEST_LANES" not in extra:
        env.pop(_background.SWITCH_ENV, None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
                           "--rootdir", str(tmp_path), "-c", os.devnull, *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr, built_log.read_text().split()


def test_scenario_items_report_the_verdicts_the_lanes_run_recorded(tmp_path: Path) -> None:
    out, built = _run_project(tmp_path, str(tmp_path))
    assert "2 failed, 3 passed, 1 skipped" in out, out
    assert "PASSED test_scen.py::test_first" in out       # the run's PASS, not the in-process failure
    assert "FAILED test_scen.py::test_second" in out and "AssertionError: boom in the run" in out
    assert "printed by the second scenario" in out and "not this" not in out  # its part of the output
    assert "Given a step" in out                           # the failed scenario's steps
    assert "SKIPPED" in out and "waived: no such thing here" in out
    assert "FAILED test_scen.py::test_fourth" in out and "recorded no verdict for this scenario" in out
    assert "PASSED test_run.py::test_the_run" in out and "PASSED test_other.py" in out
    assert built == [], "a scenario item built its fixture in the main session"


def test_scenario_items_fail_when_the_run_died(tmp_path: Path) -> None:
    out, built = _run_project(tmp_path, str(tmp_path), RUN_DIES="1")
    assert "5 failed, 1 passed" in out, out
    # once per failed item in the failures section (the short summary repeats the message in full
    # under CI=true, where pytest does not truncate it)
    failures = out.split("short test summary info")[0]
    assert failures.count("the background lane exited (code 3) without finishing this test") == 5, out
    assert built == []


def test_scenario_items_run_in_process_without_the_lane(tmp_path: Path) -> None:
    # lanes off: everything in this process, the scenario items too
    out, built = _run_project(tmp_path, str(tmp_path), LAKEGATE_TEST_LANES="0")
    assert "1 failed, 5 passed" in out and "ran in-process" in out, out
    assert built == ["world"] * 4
    # only the scenario items selected (no run to report): in-process as well
    out, built = _run_project(tmp_path, str(tmp_path / "test_scen.py"))
    assert "1 failed, 3 passed" in out and "ran in-process" in out, out
    assert built == ["world"] * 4
