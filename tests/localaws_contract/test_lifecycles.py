"""Run lifecycles are declared transition tables and the code moves states only through them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from localaws.glue import jobs
from localaws.glue.lifecycles import ALL, CRAWL, CRAWLER, JOB_RUN, WORKFLOW_RUN
from localaws.glue.state import Crawl, JobRun, WorkflowRun
from localaws.lifecycle import IllegalTransition, Lifecycle, table

GLUE = Path(__file__).resolve().parents[2] / "localaws" / "glue"


def test_the_states_are_the_ones_aws_documents() -> None:
    assert CRAWLER.states == {"READY", "RUNNING", "STOPPING"}
    assert CRAWL.states == {"RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"}
    assert JOB_RUN.states == {"STARTING", "RUNNING", "STOPPING", "STOPPED", "SUCCEEDED", "FAILED",
                              "TIMEOUT", "ERROR"}
    assert WORKFLOW_RUN.states == {"RUNNING", "COMPLETED", "STOPPING", "STOPPED", "ERROR"}
    for lc in ALL:
        assert lc.source.startswith("https://docs.aws.amazon.com/glue/")


def test_new_records_start_in_the_initial_state() -> None:
    assert Crawl(crawler="c").state == CRAWLER.initial
    assert Crawl(crawler="c").status == CRAWL.initial
    assert JobRun(job_name="j").state == JOB_RUN.initial
    assert WorkflowRun(workflow="w").status == WORKFLOW_RUN.initial


def test_final_and_active_job_states_come_from_the_table() -> None:
    assert set(jobs.FINAL) == {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}
    assert set(jobs.ACTIVE) == {"STARTING", "RUNNING", "STOPPING", "WAITING"}


@pytest.mark.parametrize("lc,current,new", [
    (JOB_RUN, "SUCCEEDED", "RUNNING"),       # a final state never moves
    (JOB_RUN, "STOPPING", "SUCCEEDED"),      # a stop ends STOPPED
    (JOB_RUN, "STARTING", "SUCCEEDED"),      # a run runs before it succeeds
    (CRAWLER, "READY", "STOPPING"),
    (CRAWLER, "RUNNING", "READY"),           # READY only after STOPPING
    (CRAWL, "CANCELLED", "SUCCEEDED"),
    (WORKFLOW_RUN, "COMPLETED", "RUNNING"),
    (WORKFLOW_RUN, "RUNNING", "STOPPED"),    # StopWorkflowRun goes through STOPPING
])
def test_an_illegal_transition_raises_an_internal_error(lc: Lifecycle, current: str, new: str) -> None:
    record = JobRun(job_name="j")
    record.state = current
    with pytest.raises(IllegalTransition, match=f"{current} -> {new}"):
        lc.move(record, "state", new)
    assert record.state == current            # unchanged


def test_a_legal_transition_moves() -> None:
    run = JobRun(job_name="j")
    for state in ("RUNNING", "STOPPING", "STOPPED"):
        JOB_RUN.move(run, "state", state)
    assert run.state == "STOPPED"


def test_a_table_with_a_state_without_row_is_refused() -> None:
    with pytest.raises(ValueError, match="no row"):
        Lifecycle("x", "A", table({"A": ("B",)}), "src")


def _state_assignments(path: Path) -> list[str]:
    """``x.state = ...`` / ``x.status = ...`` assignments outside the lifecycle tables."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            elts = t.elts if isinstance(t, ast.Tuple) else [t]
            for e in elts:
                if isinstance(e, ast.Attribute) and e.attr in ("state", "status"):
                    out.append(f"{path.name}:{node.lineno}")
    return out


def test_runs_change_state_only_through_the_tables() -> None:
    found = [a for name in ("crawler.py", "jobs.py", "workflows.py", "bookmarks.py", "state.py")
             for a in _state_assignments(GLUE / name)]
    assert found == []
