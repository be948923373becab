"""localaws/glue/__init__.py: the server registers every Glue handler before it answers, while a
Glue script run's subprocess (which only needs the bookmark rules) does not import the handler
modules and moto."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

GLUE = Path(__file__).parents[2] / "localaws" / "glue"


def _declared_glue_overrides(pattern: str = "*.py") -> set[str]:
    """Every ``@override("glue", "<Operation>", ...)`` in the package's source."""
    ops = set()
    for path in GLUE.glob(pattern):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "override" and len(node.args) >= 2
                    and all(isinstance(a, ast.Constant) for a in node.args[:2]) and node.args[0].value == "glue"):
                ops.add(node.args[1].value)
    return ops


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_server_registers_every_glue_handler_before_answering():
    declared = _declared_glue_overrides()
    assert len(declared) > 20 and {"StartJobRun", "GetJobBookmark", "StartCrawler", "StartWorkflowRun"} <= declared
    got = _run("import json, localaws.server as s, localaws.dispatch as d; s.load_behaviour(); "
               "print(json.dumps(sorted(op for svc, op in d.OVERRIDES if svc == 'glue')))")
    assert set(got) == declared
    # the same in a process that imported a submodule first (the package's import registers)
    got = _run("import json, localaws.glue.state, localaws.dispatch as d; "
               "print(json.dumps(sorted(op for svc, op in d.OVERRIDES if svc == 'glue')))")
    assert set(got) == declared


def test_a_script_runs_bookmark_import_registers_nothing_and_needs_no_moto():
    got = _run("import json, sys, localaws.glue_runtime as r; r.SCRIPT_RUN = True; "
               "from localaws.glue import bookmarks; import localaws.dispatch as d; "
               "before = {'moto': 'moto' in sys.modules, 'handlers': sorted(op for svc, op in d.OVERRIDES)}; "
               "import localaws.glue as g; jobs = g.jobs.__name__; g.register(); "
               "print(json.dumps({**before, 'jobs': jobs, "
               "'after': sorted(op for svc, op in d.OVERRIDES if svc == 'glue')}))")
    # only the bookmark module itself (its own GetJobBookmark/ResetJobBookmark), no moto
    assert got["moto"] is False
    assert set(got["handlers"]) == _declared_glue_overrides("bookmarks.py") and len(got["handlers"]) == 2
    # on demand, everything is still there
    assert got["jobs"] == "localaws.glue.jobs" and set(got["after"]) == _declared_glue_overrides()
