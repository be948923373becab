"""``lakegate smoke``: run the runbook scenarios (lakegate/scenarios: features/ + steps/) and render
the sign-off reports.

Why a subprocess: the scenarios are a pytest-bdd suite with its own session world (steps/world.py)
that deploys into the local AWS and tears it down. Running it as ``python -m pytest`` in a child
process keeps pytest's global state (plugins, markers, sys.modules) out of the CLI, and is exactly
what a developer or CI would run by hand — one code path. It is never run under xdist: pytest-bdd
9.0.1 writes an empty Cucumber JSON there, and the expensive actions (crawler and workflow runs)
are shared through one session world.

Flow of :func:`run_smoke`:

1. validate the input (known environment, a ``-m`` expression over checklist ids, rows > 0, a
   readable ``--plan``, pytest/pytest-bdd and the shipped scenarios present) — bad input is a
   :class:`LakegateError` (exit 2) before anything runs;
2. clear the previous run's evidence in the report directory, write the run metadata;
3. run pytest through an injectable *runner* (tests use a fake one); a full local run uses two
   children side by side, each with its own local AWS (:func:`two_worlds`, "two worlds" below and
   in lakegate/scenarios/steps/world.py), the second one's evidence merged only once confirmed;
4. for the local environment: check that no local AWS server started for this run is still alive
   (the world stops what it starts; if it did not, we stop it by PID and say so);
5. render the reports (:func:`lakegate.reports.write_all`, idempotent with the plugin's own
   rendering) and map the decision (:func:`lakegate.checklist.decide`: every applicable item
   PASSED, SKIP/NOT RUN only with a waiver) to an exit code: 0 only on GO with a clean pytest exit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lakegate import __version__, checklist, evidence
from lakegate.errors import LakegateError

REPORT_FILES = ("signoff.html", "signoff.md", "junit.xml", "cucumber.json", "evidence.json")
LOCAL_LOG = "local-aws.log"      # the log of the local AWS a local run used (kept for debugging)

# pytest exit codes (pytest.ExitCode), spelled out so the mapping below reads on its own.
PYTEST_OK, PYTEST_TESTS_FAILED, PYTEST_INTERRUPTED, PYTEST_INTERNAL_ERROR, PYTEST_USAGE_ERROR, \
    PYTEST_NO_TESTS = 0, 1, 2, 3, 4, 5

#: ``runner(cmd, env) -> (exit code, last lines of output)``; the real one streams output live.
Runner = Callable[[list[str], dict[str, str]], tuple[int, str]]


@dataclass
class SmokeOptions:
    env: str = "local"
    tags: str | None = None          # pytest -m expression over checklist ids
    report_dir: Path = Path("reports")
    previous: Path | None = None     # an earlier report directory: the sign-off says what changed since
    rows: int | None = None          # generated bronze rows (local environment only)
    keep: bool = False               # leave the local AWS running afterwards
    gate_result: Path | None = None  # `lakegate check --format json` output, for the plan summary
    plan: Path | None = None         # the plan JSON the CI gate approved and `terraform apply` applied


@dataclass
class SmokeResult:
    decision: str                    # GO | NO-GO
    exit_code: int                   # 0 GO, 1 NO-GO
    pytest_rc: int
    counts: dict[str, int]
    report_dir: Path
    files: dict[str, Path]
    notes: list[str] = field(default_factory=list)   # warnings worth a line in the summary
    reasons: list[str] = field(default_factory=list)  # why NO-GO (lakegate.checklist), one per item
    endpoint: str | None = None      # the local AWS the scenarios ran against
    state_file: Path | None = None   # with --keep: where `lakegate local` finds the kept server


# --- locating the scenarios ---------------------------------------------------------------------

def scenarios_location() -> tuple[Path, Path]:
    """(steps folder, pytest ini) of the scenarios shipped in the package; exit 2 when incomplete.

    The scenarios, their steps and the reference pipeline ship in the wheel (``lakegate/scenarios``,
    ``lakegate/reference``), so smoke runs from any directory after ``pip install lakegate``.
    """
    from lakegate import resources

    resources.require_runtime()
    return resources.scenarios()


# --- the -m expression --------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z_][A-Za-z0-9_.-]*)|(\S))")


def validate_tags(expr: str) -> str:
    """Check a ``-m`` expression: ``and``/``or``/``not``/parentheses over checklist ids.

    pytest would silently select nothing for a misspelt id (``-m FV9``) and fails with a terse
    usage error on bad syntax; we check both up front so the user gets the list of valid ids.
    Returns the expression stripped.
    """
    text = expr.strip()
    if not text:
        raise LakegateError("the -m expression is empty", where="-m",
                            fix='pass checklist ids, e.g. -m "FV1 or FV8" (or leave -m out to run everything)')
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing whitespace left
            break
        if m.group(4):
            raise LakegateError(f"unexpected character {m.group(4)!r} at column {m.start(4) + 1} of -m {text!r}",
                                where="-m", fix='use and / or / not / parentheses, e.g. -m "(FV1 or FV8) and not P5"')
        kind = "(" if m.group(1) else ")" if m.group(2) else "word"
        tokens.append((kind, m.group(1) or m.group(2) or m.group(3), m.end()))
        pos = m.end()

    known = ", ".join(checklist.BY_ID)
    index = 0

    def peek() -> tuple[str, str, int] | None:
        return tokens[index] if index < len(tokens) else None

    def fail(msg: str) -> LakegateError:
        return LakegateError(f"{msg} in -m {text!r}", where="-m",
                             fix='write e.g. -m "FV1 or FV8" or -m "not (P1 or P2)"')

    def expression() -> None:
        and_expr()
        while (tok := peek()) is not None and tok[1] == "or":
            advance()
            and_expr()

    def and_expr() -> None:
        not_expr()
        while (tok := peek()) is not None and tok[1] == "and":
            advance()
            not_expr()

    def not_expr() -> None:
        tok = peek()
        if tok is None:
            raise fail("the expression ends too early")
        if tok[1] == "not":
            advance()
            not_expr()
            return
        if tok[0] == "(":
            advance()
            expression()
            close = peek()
            if close is None or close[0] != ")":
                raise fail("a parenthesis is not closed")
            advance()
            return
        if tok[0] == ")" or tok[1] in ("and", "or"):
            raise fail(f"unexpected {tok[1]!r}")
        if tok[1] not in checklist.BY_ID:
            close = [i for i in checklist.BY_ID if i.lower() == tok[1].lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise LakegateError(f"unknown checklist id {tok[1]!r} in -m{hint}", where="-m",
                                fix=f"the scenarios are tagged with: {known}")
        advance()

    def advance() -> None:
        nonlocal index
        index += 1

    expression()
    if index != len(tokens):
        raise fail(f"unexpected {tokens[index][1]!r}")
    return text


# --- the pytest command -------------------------------------------------------------------------

def pytest_command(steps: Path, ini: Path, env: str, report_dir: Path, tags: str | None = None,
                   rows: int | None = None, keep: bool = False, python: str | None = None,
                   plan: Path | None = None) -> list[str]:
    """``python -m pytest <steps> -c <ini> --rootdir <scenarios> -p lakegate.scenarios.plugin …`` (no xdist).

    ``-c``/``--rootdir`` pin the configuration to the shipped one, so a ``pytest.ini`` or
    ``pyproject.toml`` in the user's directory cannot change what a sign-off means;
    ``-p no:cacheprovider`` keeps a read-only or shared install clean (no .pytest_cache);
    ``--lakegate-no-render``: :func:`run_smoke` renders the reports once, after the child.
    """
    cmd = [python or sys.executable, "-m", "pytest", str(steps), "-c", str(ini), "--rootdir", str(ini.parent),
           "-p", "lakegate.scenarios.plugin", "-p", "no:cacheprovider",
           "--lakegate-env", env, "--lakegate-report-dir", str(report_dir), "--lakegate-no-render"]
    if plan is not None:
        cmd += ["--lakegate-plan", str(plan)]
    if rows is not None:
        cmd += ["--lakegate-rows", str(rows)]
    if keep:
        cmd.append("--lakegate-keep")
    if tags:
        cmd += ["-m", tags]
    cmd.append("-q")
    return cmd


def child_env(base: dict[str, str], local_state: Path | None) -> dict[str, str]:
    """Environment of the pytest child.

    PYTEST_ADDOPTS is dropped so a developer's ``-n 4`` or ``-x`` cannot change what a sign-off
    means; LAKEGATE_LOCAL_STATE points the world at the state file we watch (local only).
    """
    env = dict(base)
    env.pop("PYTEST_ADDOPTS", None)
    env["CHECKPOINT_DISABLE"] = "1"
    if local_state is not None:
        env["LAKEGATE_LOCAL_STATE"] = str(local_state)
    return env


def subprocess_runner(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``cmd``, streaming its output (masked: the CI log is an artifact too) to our stdout, and
    keep the last lines for error messages."""
    from lakegate.masking import mask_text

    tail: list[str] = []
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", bufsize=1)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = mask_text(line)
            sys.stdout.write(line)
            sys.stdout.flush()
            tail.append(line.rstrip("\n"))
            del tail[:-40]
        return proc.wait(), "\n".join(tail)
    except KeyboardInterrupt:
        # pytest got the same SIGINT (same process group) and runs its finalizers (the world stops
        # the local AWS); give it the time to do so before we give up on it.
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise


# --- two worlds: the second core -------------------------------------------------------------------

#: Scenarios a full local rehearsal runs in a second world (its own local AWS, restored from the
#: deploy-cache entry the first world verifies in this run; steps/world.py "two worlds"), side by
#: side with the others in the first world, in the order they have there. Problem 2 is the
#: rehearsal's longest scenario by far (its runbook fix is a real ``terraform apply`` with a
#: refresh of every resource, then an IAM wait and a recovery); Problem 1 and Problem 4 go with it
#: to even out the two worlds (first world: the world's deploy and its verification plan, features
#: 01-03, P3, P5, S1; second: restore, bronze crawl + workflow run, P1, P2, P4). Both start where
#: the first world leaves them: after the bronze crawl and the workflow run of features 01-03 (P1
#: reuses that crawl), P2 after P1's recovery and P4 after P2's, i.e. healthy again after a
#: workflow run. With P1, P2 only, the second world ended ~4 s before the first one
#: (bench/RESULTS.md, "Session 6, rehearsal"). The
#: scenarios and their steps are lakegate's, not the user's, so the choice does not depend on
#: the pipeline under test.
SECOND_WORLD_ITEMS: tuple[str, ...] = ("P1", "P2", "P4")
#: Niceness of the second world's child (and of what it starts: its local AWS, its terraform):
#: the first world's deploy and verification plan are the run's critical path, so when both
#: worlds want a CPU the first one gets it (bench/RESULTS.md, "Session 5, rehearsal").
SECOND_WORLD_NICE = 5
NICE_ENV = "LAKEGATE_SECOND_WORLD_NICE"   # another niceness (0-19) for the second world's child


def second_world_nice(base_env: dict[str, str]) -> int:
    value = base_env.get(NICE_ENV, "").strip()
    if not value:
        return SECOND_WORLD_NICE
    if not value.isdigit() or int(value) > 19:
        raise LakegateError(f"{NICE_ENV} must be a niceness from 0 to 19 (got {value!r})", where=NICE_ENV,
                            fix=f"unset {NICE_ENV} (default {SECOND_WORLD_NICE}) or set e.g. {NICE_ENV}=0")
    return int(value)
#: ``1`` runs every scenario in one world, one after the other (as before session 5).
WORLDS_ENV = "LAKEGATE_SMOKE_WORLDS"
SECOND_LOG_HEADER = "\n----- the second world's local AWS ({items}) -----\n"
FIRST_AGAIN_LOG_HEADER = "\n----- the first world's scenarios, run again: their local AWS -----\n"


def two_worlds(env_is_local: bool, tags: str | None, keep: bool, base_env: dict[str, str],
               cpus: int | None = None) -> bool:
    """Whether this run uses a second world: a full run (no ``-m``: with a selection, what a
    scenario finds depends on what else was selected, so it runs as selected, in one world) of
    the local environment, without ``--keep`` (one kept local AWS), on more than one CPU, unless
    ``LAKEGATE_SMOKE_WORLDS=1``; ``LAKEGATE_SMOKE_WORLDS=2`` splits a full local run even on one
    CPU (slower there, but the same path, e.g. for a test). A live environment is one
    environment: never split."""
    value = base_env.get(WORLDS_ENV, "").strip()
    if value and value not in ("1", "2"):
        raise LakegateError(f"{WORLDS_ENV} must be 1 or 2 (got {value!r})", where=WORLDS_ENV,
                            fix=f"unset {WORLDS_ENV} or set it to 1 (one world) or 2 (two worlds)")
    if value == "1" or not env_is_local or tags is not None or keep or not SECOND_WORLD_ITEMS:
        return False
    return value == "2" or (cpus if cpus is not None else (os.cpu_count() or 1)) >= 2


def split_tags(items: tuple[str, ...] = SECOND_WORLD_ITEMS) -> tuple[str, str]:
    """``-m`` expressions of the first and the second world's children."""
    either = " or ".join(items)
    return f"not ({either})", f"({either})"


def _merge_evidence(src: Path, report_dir: Path) -> None:
    """A world's evidence, written aside, into the run's (once that world's results count)."""
    for record in evidence.load(src):
        evidence.append(report_dir, record)


def combine_exit_codes(first: int, second: int) -> int:
    """pytest exit code of the run from its two children: the first abnormal one (interrupted,
    internal or usage error), else failed when either failed. A second world that selected no
    scenario (5) adds nothing: its items are then missing from the evidence, which is NO-GO."""
    if second == PYTEST_NO_TESTS:
        return first
    for code in (PYTEST_INTERRUPTED, PYTEST_INTERNAL_ERROR, PYTEST_USAGE_ERROR, PYTEST_NO_TESTS):
        if code in (first, second):
            return code
    return max(first, second)


class _QuietChild:
    """The second world's pytest child: its output (masked) is kept and printed after the first
    world's, so the two never interleave; ``stop`` ends it on Ctrl-C like the first one."""

    def __init__(self, cmd: list[str], env: dict[str, str], nice: int = 0) -> None:
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     errors="replace", bufsize=1,
                                     preexec_fn=(lambda: os.nice(nice)) if nice else None)
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, name="lakegate-smoke-second", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        from lakegate.masking import mask_text

        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(mask_text(line))

    def wait(self, timeout: float | None = None) -> tuple[int, str]:
        rc = self.proc.wait(timeout=timeout)
        self._thread.join(timeout=10)
        return rc, "".join(self.lines)

    def stop(self, grace: float = 60.0) -> None:
        """After Ctrl-C (the child got the same SIGINT): give it ``grace`` s to tear down, then
        kill it (its local AWS follows its owner; ``stop_leaked`` makes sure)."""
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._thread.join(timeout=10)


class _RunnerChild:
    """The second world's child through an injected runner (tests), in a thread."""

    def __init__(self, runner: Runner, cmd: list[str], env: dict[str, str]) -> None:
        self._box: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(runner, cmd, env), daemon=True)
        self._thread.start()

    def _run(self, runner: Runner, cmd: list[str], env: dict[str, str]) -> None:
        try:
            self._box["ok"] = runner(cmd, env)
        except BaseException as err:  # noqa: BLE001 - re-raised by wait()
            self._box["err"] = err

    def wait(self, timeout: float | None = None) -> tuple[int, str]:
        self._thread.join(timeout)
        if "err" in self._box:
            raise self._box["err"]
        return self._box.get("ok", (PYTEST_INTERRUPTED, "the second world did not finish"))

    def stop(self, grace: float = 60.0) -> None:
        self._thread.join(grace)


def check_plan_file(path: Path) -> None:
    """``--plan``: the JSON of the applied plan (``terraform show -json PLANFILE``). It is read by
    the scenarios in place and never copied next to the reports (it may hold sensitive values)."""
    fix = "pass the output of `terraform show -json tfplan > plan.json` for the plan file you applied"
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise LakegateError(f"{path} does not exist", where="--plan", fix=fix) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LakegateError(f"cannot read the plan: {err}", where=str(path), fix=fix) from None
    if not isinstance(doc, dict) or "format_version" not in doc or not (
            "resource_changes" in doc or "planned_values" in doc):
        raise LakegateError("this is not a Terraform plan in JSON (no format_version / resource_changes)",
                            where=str(path), fix=fix)


# --- run metadata -------------------------------------------------------------------------------

def git_commit(repo: Path) -> str | None:
    """``git rev-parse HEAD`` of ``repo`` (``+dirty`` when the work tree has changes); None without git."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        commit = head.stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20)
        return commit + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def run_metadata(env_name: str, kind: str, tags: str | None, commit: str | None,
                 plan_summary: str | None = None, *, fault_capable: bool | None = None,
                 waivers: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "env": env_name,
        "env_kind": kind,
        "fault_capable": checklist.fault_capable_kind(kind) if fault_capable is None else fault_capable,
        "waivers": dict(waivers or {}),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "lakegate_version": __version__,
        "tags": tags or "(all)",
    }
    if commit:
        meta["commit"] = commit
    if plan_summary:
        meta["plan_summary"] = plan_summary
    return meta


def plan_summary(gate_json: Path) -> str:
    """One line for the report header from ``lakegate check --format json`` output.

    The sign-off should say what the gate saw of the plan that was applied; an unreadable file is
    unusable input (fail closed), not a missing line.
    """
    fix = "pass the file written by `lakegate check PLAN --tf-dir terraform --format json --out FILE`"
    try:
        doc = json.loads(gate_json.read_text())
    except FileNotFoundError:
        raise LakegateError(f"{gate_json} does not exist", where="--gate-result", fix=fix) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LakegateError(f"cannot read the gate result: {err}", where=str(gate_json), fix=fix) from None
    summary = doc.get("summary") if isinstance(doc, dict) else None
    if not isinstance(summary, dict) or not isinstance(summary.get("by_severity"), dict) or not all(
            isinstance(summary.get(k), int) for k in ("resources", "findings")):
        raise LakegateError("the gate result has no summary with resources, findings and by_severity",
                            where=str(gate_json), fix=fix)
    severities = ", ".join(f"{sev} {n}" for sev, n in summary["by_severity"].items() if n) or "none"
    line = f"{summary['resources']} resources checked; {summary['findings']} finding(s) ({severities})"
    if summary.get("suppressed"):
        line += f"; {summary['suppressed']} suppressed"
    return line


# --- the local AWS started for this run ---------------------------------------------------------

class StateWatcher:
    """Polls the isolated local-AWS state file while the scenarios run.

    The world fixture starts and stops the server inside the pytest child and removes the state
    file on stop, so the only way to learn the endpoint (for the report) and the PIDs (to check
    the teardown) is to look while it runs.
    """

    def __init__(self, path: Path, interval: float = 0.2) -> None:
        self.path = path
        self.interval = interval
        self.endpoint: str | None = None
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lakegate-smoke-watch", daemon=True)

    def __enter__(self) -> "StateWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._look()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._look()

    def _look(self) -> None:
        from lakegate import localenv

        try:
            st = localenv.read_state(self.path)
        except LakegateError:   # half-written or foreign file: look again next time
            return
        if st is not None:
            self.endpoint = st.endpoint
            self.pids.add(st.pid)


def servers_for_state(state_file: Path, proc: Path = Path("/proc")) -> list[int]:
    """PIDs of ``python -m localaws serve --state-file <state_file>`` processes still alive.

    ``lakegate.localenv.start`` passes the resolved state file on the server's command line, so
    this finds exactly the servers started for our isolated state file — never a user's own.
    """
    wanted = str(state_file.resolve()).encode()
    found = []
    for entry in proc.glob("[0-9]*"):
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if status == "Z":
            continue
        if b"localaws" in args and b"serve" in args and "--state-file".encode() in args:
            i = args.index(b"--state-file")
            if i + 1 < len(args) and args[i + 1] == wanted:
                found.append(int(entry.name))
    return sorted(found)


def stop_leaked(state_file: Path, grace: float = 5.0) -> list[str]:
    """Stop servers the world left behind for ``state_file`` (by PID, re-checked to be ours).

    Returns one note per server stopped; an empty list is the expected outcome."""
    from lakegate import localenv

    notes = []
    if state_file.exists():
        try:
            msg = localenv.stop(state_file)
            if msg.startswith("stopped"):
                notes.append("the local AWS started for this run was still running after the scenarios "
                             f"(a teardown bug in steps/world.py); {msg}")
        except LakegateError as err:
            notes.append(f"could not stop the local AWS via its state file: {err.what}")
    for pid in servers_for_state(state_file):
        try:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and pid in servers_for_state(state_file):
                time.sleep(0.05)
            if pid in servers_for_state(state_file):
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        notes.append(f"the local AWS (pid {pid}) started for this run was left running by the scenarios; "
                     "stopped it (a teardown bug in steps/world.py)")
    return notes


def stop_strays(state_files: list[Path], grace: float = 5.0, proc: Path = Path("/proc")) -> list[str]:
    """Stop what the scenarios started and left behind besides the local AWS (after a Ctrl-C: a
    terraform provider plugin whose terraform was killed mid-command is re-parented and keeps
    running). Found by the isolated state file every process of this run inherits in its
    environment (``LAKEGATE_LOCAL_STATE=<state file>``, set by :func:`child_env`); only ever
    called for this run's own temporary state files, after its children ended. One note per
    process stopped; an empty list is the expected outcome."""
    wanted = {f"LAKEGATE_LOCAL_STATE={f}".encode() for f in state_files}
    me = os.getpid()
    found: dict[int, str] = {}
    for entry in proc.glob("[0-9]*"):
        pid = int(entry.name)
        if pid == me:
            continue
        try:
            if (entry / "stat").read_text().split(")")[-1].split()[0] == "Z":
                continue
            if not wanted & set((entry / "environ").read_bytes().split(b"\0")):
                continue
            found[pid] = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except (OSError, IndexError):
            continue
    notes = []
    for pid, name in sorted(found.items()):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        notes.append(f"stopped {Path(name).name} (pid {pid}), left running by the scenarios")
    deadline = time.monotonic() + grace
    for pid in found:
        while time.monotonic() < deadline and _alive(pid, proc):
            time.sleep(0.05)
        if _alive(pid, proc):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return notes


def _alive(pid: int, proc: Path) -> bool:
    try:
        return (proc / str(pid) / "stat").read_text().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# --- decision -----------------------------------------------------------------------------------

def exit_code_for(decision: str, pytest_rc: int) -> int:
    """0 only when the reports say GO *and* pytest exited cleanly; everything else is NO-GO (1).

    A GO decision next to a non-zero pytest exit means something failed outside the checklist
    scenarios (or the run was cut short) — fail closed.
    """
    return 0 if decision == "GO" and pytest_rc == PYTEST_OK else 1


def _pytest_usage_error(rc: int, tail: str, tags: str | None) -> LakegateError | None:
    last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "")
    if rc == PYTEST_USAGE_ERROR:
        return LakegateError(f"pytest rejected the arguments (exit 4): {last or 'no message'}",
                             where="-m" if tags else "lakegate smoke",
                             fix='check the -m expression (checklist ids joined with and/or/not, e.g. -m "FV1 or FV8")')
    if rc == PYTEST_NO_TESTS:
        return LakegateError("no scenario was selected (pytest exit 5)",
                             where=f"-m {tags!r}" if tags else "lakegate/scenarios/features/",
                             fix="select at least one tagged scenario" if tags
                             else "the installed scenarios are broken (no scenario was collected): reinstall lakegate")
    return None


def run_smoke(opts: SmokeOptions, runner: Runner = subprocess_runner, repo: Path | None = None,
              base_env: dict[str, str] | None = None, git: Callable[[Path], str | None] = git_commit) -> SmokeResult:
    """Run the scenarios for ``opts`` and render the reports. Raises :class:`LakegateError` on unusable input."""
    from lakegate import context, localenv
    from lakegate.envconfig import get_environment
    from lakegate.reports import glance, write_all

    env = get_environment(opts.env)
    tags = validate_tags(opts.tags) if opts.tags is not None else None
    if opts.rows is not None and opts.rows <= 0:
        raise LakegateError(f"--rows must be positive (got {opts.rows})", where="--rows", fix="e.g. --rows 2000")
    if opts.rows is not None and not env.is_local:
        raise LakegateError("--rows only applies to the local environment (live data is not generated)",
                            where="--rows", fix=f"drop --rows for --env {env.name}")
    if opts.keep and not env.is_local:
        raise LakegateError("--keep only applies to the local environment", where="--keep",
                            fix=f"drop --keep for --env {env.name}")
    if not env.is_local:
        context.load_names(env)   # a missing/unreadable outputs file is unusable input, not a NO-GO
    if opts.plan is not None:
        check_plan_file(opts.plan)   # unreadable / not a plan: unusable input before anything runs
    steps, ini = (repo / "steps", repo / "scenarios.ini") if repo is not None else scenarios_location()
    summary_line = plan_summary(opts.gate_result) if opts.gate_result is not None else None

    report_dir = opts.report_dir.resolve()
    if report_dir.exists() and not report_dir.is_dir():
        raise LakegateError("the report directory is a file", where=str(report_dir),
                            fix="pass --report-dir DIR with a directory (it is created if missing)")
    report_dir.mkdir(parents=True, exist_ok=True)
    # read before this run clears the directory (--previous may be the report directory itself)
    previous = glance.load_previous(opts.previous) if opts.previous is not None else None
    evidence.reset(report_dir)
    glance.set_previous(report_dir, previous)   # or drop an earlier run's, without --previous
    for name in (*REPORT_FILES, LOCAL_LOG):   # never leave a previous run's output next to this run's evidence
        (report_dir / name).unlink(missing_ok=True)
    meta = run_metadata(env.name, env.kind, tags, git(Path.cwd()), summary_line,
                        fault_capable=env.fault_capable, waivers=env.waivers)
    evidence.write_meta(report_dir, meta)

    scratch: Path | None = None
    state_file: Path | None = None
    if env.is_local:
        if opts.keep:   # the user's own state file: reuse a running local AWS or leave ours there
            state_file = localenv.state_path().resolve()
        else:           # an isolated one: never touch a local AWS the user is running
            scratch = Path(tempfile.mkdtemp(prefix="lakegate-smoke-"))
            state_file = scratch / "local" / "state.json"
    base = dict(os.environ if base_env is None else base_env)
    plan_arg = opts.plan.resolve() if opts.plan is not None else None
    split = scratch is not None and two_worlds(env.is_local, tags, opts.keep, base)
    nice = second_world_nice(base) if split else 0
    second_state: Path | None = None
    second_cmd: list[str] = []
    second_env: dict[str, str] = {}
    second_dir = Path()
    first_dir = Path()
    first_record: Path | None = None
    handoff: Path | None = None
    if split:
        from lakegate.scenarios.steps.world import HANDOFF_ENV, SECOND_WORLD_ENV, VERIFY_RECORD_ENV

        first_tags, second_tags = split_tags()
        assert scratch is not None
        handoff = scratch / "handoff.json"
        second_state = scratch / "local-second" / "state.json"
        # the first world may start its scenarios while its verification plan runs: its evidence
        # too is written aside and counts once that plan was empty (first_world_verified)
        first_dir = scratch / "first-evidence"
        first_record = scratch / "first-verified.json"
        cmd = pytest_command(steps, ini, env.name, first_dir, first_tags, opts.rows, opts.keep, plan=plan_arg)
        child = child_env(base, state_file)
        child[HANDOFF_ENV] = str(handoff)
        child[VERIFY_RECORD_ENV] = str(first_record)
        # its evidence counts only once it is confirmed (below): written aside, merged then
        second_dir = scratch / "second-evidence"
        second_cmd = pytest_command(steps, ini, env.name, second_dir, second_tags, opts.rows, opts.keep, plan=plan_arg)
        second_env = child_env(base, second_state)
        second_env[SECOND_WORLD_ENV] = str(handoff)
    else:
        cmd = pytest_command(steps, ini, env.name, report_dir, tags, opts.rows, opts.keep, plan=plan_arg)
        child = child_env(base, state_file)

    notes: list[str] = []
    endpoint: str | None = None
    interrupted = False
    second: _QuietChild | _RunnerChild | None = None
    waited = False
    try:
        if split:
            second = _QuietChild(second_cmd, second_env, nice=nice) if runner is subprocess_runner \
                else _RunnerChild(runner, second_cmd, second_env)
        if state_file is not None:
            with StateWatcher(state_file) as watch:
                rc, tail = runner(cmd, child)
            endpoint = watch.endpoint
        else:
            rc, tail = runner(cmd, child)
        if first_record is not None:
            from lakegate.scenarios.steps.world import first_world_verified

            verified, why = first_world_verified(first_record)
            if verified:
                _merge_evidence(first_dir, report_dir)
            else:   # fail closed: its scenarios again, in a world that verifies before they start
                notes.append(f"{why}; the first world's scenarios ran again in a world that deployed and "
                             "verified before them")
                again_state = scratch / "local-first-again" / "state.json"
                again_cmd = pytest_command(steps, ini, env.name, report_dir, split_tags()[0], opts.rows,
                                           opts.keep, plan=plan_arg)
                try:
                    rc, tail = runner(again_cmd, child_env(base, again_state))
                finally:
                    notes += stop_leaked(again_state)
        if second is not None:
            assert handoff is not None
            if not handoff.exists():   # the first world ended without deploying: do not wait for it
                from lakegate.scenarios.steps.world import write_handoff

                write_handoff(handoff, why=f"the first world's pytest exited ({rc}) without a handoff")
            rc2, out2 = second.wait()
            waited = True
            if isinstance(second, _QuietChild):
                sys.stdout.write(f"----- the second world ({', '.join(SECOND_WORLD_ITEMS)}) -----\n{out2}")
                sys.stdout.flush()
            from lakegate.scenarios.steps.world import second_world_confirmed

            confirmed, why = second_world_confirmed(handoff)
            if confirmed:
                _merge_evidence(second_dir, report_dir)
            else:   # fail closed: its scenarios again, in a world that deploys (and verifies) by itself
                notes.append(f"{why}; its scenarios ({', '.join(SECOND_WORLD_ITEMS)}) ran again in a world "
                             "of their own, after the others")
                again = scratch / "handoff-again.json"
                from lakegate.scenarios.steps.world import SECOND_WORLD_ENV, write_handoff

                write_handoff(again, why=why)
                again_state = scratch / "local-again" / "state.json"
                again_env = child_env(base, again_state)
                again_env[SECOND_WORLD_ENV] = str(again)
                again_cmd = pytest_command(steps, ini, env.name, report_dir, split_tags()[1], opts.rows, opts.keep,
                                           plan=plan_arg)
                try:
                    rc2, out2 = runner(again_cmd, again_env)
                finally:
                    notes += stop_leaked(again_state)
            tail = tail if rc != PYTEST_OK or rc2 in (PYTEST_OK, PYTEST_NO_TESTS) else out2[-4000:]
            rc = combine_exit_codes(rc, rc2)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:   # also on Ctrl-C: never leave this run's local AWS behind
        if second is not None and not waited:
            second.stop(grace=60.0 if interrupted else 0.0)
        if state_file is not None and not opts.keep:
            notes += stop_leaked(state_file)
        if second_state is not None:
            notes += stop_leaked(second_state)
        if scratch is not None and state_file is not None:   # this run's own temporary state files only
            notes += stop_strays([state_file.resolve()] + [p.resolve() for p in (second_state,) if p is not None]
                                 + [scratch.resolve() / name / "state.json"
                                    for name in ("local-again", "local-first-again")])
        if interrupted and first_record is not None and not (report_dir / evidence.EVIDENCE_FILE).exists():
            from lakegate.scenarios.steps.world import first_world_verified

            if first_world_verified(first_record)[0]:   # what it finished, verified, for the partial reports
                _merge_evidence(first_dir, report_dir)
        if scratch is not None:
            log = scratch / "local" / "server.log"
            if log.exists():
                shutil.copyfile(log, report_dir / LOCAL_LOG)
            for folder, header in (("local-first-again", FIRST_AGAIN_LOG_HEADER),
                                   ("local-second", SECOND_LOG_HEADER.format(items=", ".join(SECOND_WORLD_ITEMS))),
                                   ("local-again", SECOND_LOG_HEADER.format(
                                       items=", ".join(SECOND_WORLD_ITEMS) + ", run again"))):
                log2 = scratch / folder / "server.log"
                if log2.exists():
                    with open(report_dir / LOCAL_LOG, "a", encoding="utf-8", errors="replace") as out, \
                            open(log2, encoding="utf-8", errors="replace") as src:
                        out.write(header)
                        shutil.copyfileobj(src, out)
            shutil.rmtree(scratch, ignore_errors=True)
        # the child does not render (--lakegate-no-render): on Ctrl-C keep the partial reports
        # it used to leave (items not reached are NOT RUN)
        if interrupted and (report_dir / evidence.EVIDENCE_FILE).exists():
            write_all(report_dir)

    usage = _pytest_usage_error(rc, tail, tags)
    if usage is not None:
        raise usage
    if rc not in (PYTEST_OK, PYTEST_TESTS_FAILED):
        last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "")
        notes.append(f"pytest did not finish normally (exit {rc}{': ' + last if last else ''}); "
                     "items it did not reach are NOT RUN")

    meta.update({"finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "pytest_exit": rc})
    if endpoint:
        meta["endpoint"] = endpoint
    evidence.write_meta(report_dir, meta)
    summary = write_all(report_dir)
    return SmokeResult(decision=summary.decision, exit_code=exit_code_for(summary.decision, rc), pytest_rc=rc,
                       counts=summary.counts, report_dir=report_dir,
                       files={name: report_dir / name for name in REPORT_FILES}, notes=notes,
                       endpoint=endpoint, state_file=state_file if opts.keep else None,
                       reasons=list(summary.verdict.reasons))


def render_summary(res: SmokeResult) -> str:
    """The short text printed after a run: decision, counts, the report files."""
    counts = ", ".join(f"{k} {v}" for k, v in res.counts.items())
    lines = [f"lakegate smoke: {res.decision} ({counts})"]
    lines += [f"  blocking: {r}" for r in res.reasons]
    if res.pytest_rc != PYTEST_OK and res.decision == "GO":
        lines.append(f"  NO-GO anyway: pytest exited {res.pytest_rc} (something failed outside the checklist)")
    lines += [f"  note: {n}" for n in res.notes]
    if res.state_file is not None and res.endpoint:
        lines.append(f"  local AWS kept running at {res.endpoint} (state file {res.state_file}); "
                     "stop it with 'lakegate local down'")
    lines.append("  reports:")
    lines += [f"    {path}" for path in res.files.values()]
    return "\n".join(lines)


def checklist_markdown() -> str:
    """The checklist ids as a Markdown table (the ``-m`` vocabulary), generated from
    :mod:`lakegate.checklist` for docs/runbook-as-code.md — a test keeps the doc in sync."""
    lines = ["| id | section | what is checked | runbook line |", "|---|---|---|---|"]
    for item in checklist.ITEMS:
        cells = [item.id, item.section, item.title, item.runbook]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
