"""The runtime for users' own Glue scripts (everything that is not lakegate's SQL contract).

A job run picks its runtime here (:func:`runtime_for`):

* ``sql`` — the job has ``--sql_path`` (lakegate's ``-- lakegate:`` SQL header contract): the
  DuckDB fast path in :mod:`localaws.glue.jobs`;
* ``spark`` — any other ``glueetl`` (or ``gluestreaming``) job: its script runs on local PySpark;
* ``python`` — a ``pythonshell`` (or ``glueray``) job: its script runs on this machine's Python.

Script runs happen in a **subprocess** (``python -m localaws.glue_runtime.driver SPEC``) so the
JVM, Spark state and user code never live in the server process. The subprocess talks to the
server over HTTP like any AWS client (``AWS_ENDPOINT_URL`` and credentials in its environment);
the ``awsglue`` compatibility layer (:mod:`localaws.glue_runtime`) reads and writes S3 and the
catalog through that endpoint. It reports what it did in a result file: the error (Glue's
``ErrorMessage``), whether ``Job.commit()`` ran, and the S3 objects each ``transformation_ctx``
consumed, which :mod:`localaws.glue.bookmarks` then remembers exactly as for SQL jobs.

The Spark version for a ``glue_version`` is data (``data/spark_versions.json``, with its AWS
source); when the installed PySpark is another version the run's driver log says so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from localaws.glue import bookmarks
from localaws.glue_runtime import available
from localaws.glue_runtime.available import EXTRA, available_runtimes, describe_runtimes  # noqa: F401
from localaws.glue.state import S3Object, lock, put_logs

DATA = Path(__file__).parent / "data" / "spark_versions.json"
#: environment variable naming the local AWS endpoint when the runtime object does not carry it
ENDPOINT_ENV = "LAKEGATE_LOCALAWS_ENDPOINT"

SPARK_COMMANDS = ("glueetl", "gluestreaming")
PYTHON_COMMANDS = ("pythonshell", "glueray")


@lru_cache(maxsize=1)
def versions() -> dict[str, Any]:
    return json.loads(DATA.read_text())


def _vtuple(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def spark_choice(glue_version: str | None) -> tuple[str, str | None, str]:
    """(Spark version Glue runs for ``glue_version``, local PySpark version or None, note).

    The note says when the local version differs from Glue's and why."""
    data = versions()
    gv = str(glue_version or data["default_glue_version"])
    entry = data["glue_versions"].get(gv)
    local = available.installed_pyspark()
    if entry is None:
        known = ", ".join(sorted(data["glue_versions"], key=_vtuple))
        return "unknown", local, (f"Glue version {gv} is not in lakegate's table ({known}); "
                                  f"running on local PySpark {local}")
    wanted = entry["spark"]
    if local is None:
        return wanted, None, f"Glue {gv} runs Spark {wanted}; no PySpark is installed (install {EXTRA})"
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    if _vtuple(local)[:2] == _vtuple(wanted)[:2]:
        note = f"Glue {gv} runs Spark {wanted}; local PySpark {local} (same minor version)"
    else:
        note = (f"Glue {gv} runs Spark {wanted} on Python {entry['python']}; this run uses the nearest "
                f"PySpark that runs here, {local} on Python {py} (PySpark {'.'.join(wanted.split('.')[:2])} "
                f"does not support Python {py}; see docs/spark-runtime.md)")
    if entry["python"] != py and "Python" not in note.split(";", 1)[1]:
        note += f"; Glue {gv} runs Python {entry['python']}, this run Python {py}"
    return wanted, local, note


def runtime_for(job: Any, args: dict[str, str]) -> str:
    """``sql``, ``spark`` or ``python`` for a run of ``job`` with resolved ``args``."""
    if args.get("--sql_path"):
        return "sql"
    name = str((job.command or {}).get("Name") or "glueetl").lower()
    if name in PYTHON_COMMANDS:
        return "python"
    return "spark"


def endpoint_of(ctx: Any) -> str | None:
    rt = ctx.runtime
    ep = getattr(rt, "endpoint", None) if rt is not None else None
    return ep or os.environ.get(ENDPOINT_ENV) or None


def _bookmark_state(ctx: Any, job_name: str) -> dict[str, Any]:
    bm = bookmarks.get_bookmark(ctx, job_name)
    if bm is None:
        return {}
    return {name: {"files": dict(m.files), "high_water": m.high_water} for name, m in bm.inputs.items()}


_PROCS: dict[str, subprocess.Popen] = {}


def execute(ctx: Any, run: Any, kind: str, failed: type[Exception]) -> list[str]:
    """Run the script of ``run`` in a subprocess; return its log lines (driver summary).

    Raises ``failed(ErrorMessage)`` when the run fails. Sets ``run.processed`` (per
    transformation_ctx, the S3 objects read) when the script called ``Job.commit()``."""
    from localaws.glue.jobs import _job

    with lock(ctx):
        job = _job(ctx, run.job_name)
        script = (job.command or {}).get("ScriptLocation") or ""
        python_version = (job.command or {}).get("PythonVersion")
        state = _bookmark_state(ctx, run.job_name)
    try:
        opt = bookmarks.option(run.arguments)
    except ValueError as exc:
        raise failed(str(exc)) from exc
    if not script:
        raise failed("IllegalArgumentException: the job has no Command.ScriptLocation")
    lines: list[str] = []
    if kind == "spark":
        wanted, local, note = spark_choice(run.glue_version)
        if local is None:
            raise failed(f"Glue job runtime unavailable: this job runs a Spark script (glueetl), which "
                         f"needs local PySpark; install the extra: pip install '{EXTRA}'")
        if not available.java_available():
            raise failed("Glue job runtime unavailable: PySpark needs Java (java on PATH or JAVA_HOME); "
                         "install a JDK 17")
        lines.append(f"INFO: lakegate runtime: {note}")
    else:
        lines.append(f"INFO: lakegate runtime: Python shell script on Python "
                     f"{sys.version_info.major}.{sys.version_info.minor}"
                     + (f" (job asks PythonVersion {python_version})" if python_version else ""))
    endpoint = endpoint_of(ctx)
    if not endpoint:
        raise failed("Glue job runtime unavailable: the local AWS endpoint is unknown (script jobs "
                     "need the HTTP server: lakegate local up)")

    scratch = Path(tempfile.mkdtemp(prefix=f"lakegate-glue-{run.id[:16]}-"))
    spec = {
        "kind": kind,
        "job_name": run.job_name,
        "run_id": run.id,
        "script_location": script,
        "arguments": run.arguments,
        "glue_version": run.glue_version,
        "bookmark_option": opt,
        "bookmark_state": state,
        "region": ctx.region,
        "endpoint": endpoint,
        "scratch": str(scratch),
        "result": str(scratch / "result.json"),
        "module_cache": str(module_cache_dir()),
    }
    spec_path = scratch / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = dict(os.environ)
    env.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ctx.account_id if ctx.account_id != "123456789012" else "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": ctx.region,
        "AWS_REGION": ctx.region,
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    out_path, err_path = scratch / "stdout.log", scratch / "stderr.log"
    timeout = float(run.timeout_minutes or 2880) * 60.0
    t0 = time.monotonic()
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "localaws.glue_runtime.driver", str(spec_path)],
                                    stdout=out, stderr=err, cwd=scratch, env=env, start_new_session=True)
            _PROCS[run.id] = proc
            try:
                while proc.poll() is None:
                    if run.stop_requested:
                        _kill(proc)
                        lines.append("INFO: stopped by BatchStopJobRun")
                        return lines
                    if time.monotonic() - t0 > timeout:
                        _kill(proc)
                        raise failed(f"Job run timed out after {run.timeout_minutes} minutes")
                    time.sleep(0.1)
            finally:
                _PROCS.pop(run.id, None)
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
        _publish_logs(ctx, run.id, stdout, stderr)
        try:
            result = json.loads((scratch / "result.json").read_text())
        except (OSError, ValueError):
            tail = [ln for ln in stderr.strip().splitlines() if ln.strip()][-1:] or ["no output"]
            raise failed(f"Glue job driver exited with code {proc.returncode}: {tail[0]}")
        lines.extend(result.get("log") or [])
        lines.append(f"INFO: script run took {time.monotonic() - t0:.2f}s")
        if result.get("error"):
            raise failed(result["error"])
        if result.get("committed"):
            run.processed = {name: [S3Object(o["key"], o["etag"], float(o["last_modified"]), int(o["size"]))
                                    for o in objs]
                             for name, objs in (result.get("processed") or {}).items()}
        return lines
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def stop_all() -> int:
    """Stop every script run in flight (the server is shutting down); return how many.

    Without this a stopping server waited for each run's driver to end (a Python-shell script
    sleeping 40 s held ``SIGTERM`` for 42 s), and a server killed meanwhile left the driver and its
    JVM running with nobody to read their result. Each run's poll loop then sees its process gone
    and fails the run, as for a driver that died."""
    procs = list(_PROCS.values())
    for proc in procs:
        _kill(proc)
    return len(procs)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _publish_logs(ctx: Any, run_id: str, stdout: str, stderr: str) -> None:
    """Glue's standard log groups: stdout in ``/aws-glue/jobs/output``, stderr (Spark's log and
    Python tracebacks) in ``/aws-glue/jobs/error``, one stream per run id."""
    with lock(ctx):
        for group, text in (("/aws-glue/jobs/output", stdout), ("/aws-glue/jobs/error", stderr)):
            msgs = [ln for ln in text.splitlines() if ln.strip()][-5000:]
            if msgs:
                put_logs(ctx, group, run_id, msgs)


def module_cache_dir() -> Path:
    """Where ``--additional-python-modules`` are installed (one folder per module list)."""
    base = os.environ.get("LAKEGATE_GLUE_MODULE_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakegate" / "glue-modules"


__all__ = ["runtime_for", "execute", "spark_choice", "available_runtimes", "describe_runtimes", "versions"]
