"""Entry point of one Glue script run: ``python -m localaws.glue_runtime.driver SPEC.json``.

Started by :mod:`localaws.glue.script_runtime` with the local AWS endpoint and credentials in
the environment. Downloads the script (and ``--extra-py-files``), installs
``--additional-python-modules`` into a per-module-list cache, puts the ``awsglue`` stand-in on
``sys.path``, builds ``sys.argv`` the way Glue does (``--JOB_NAME``, ``--JOB_ID``,
``--JOB_RUN_ID`` and every job argument), runs the script as ``__main__`` and writes the result
file: ``error`` (Glue's ``ErrorMessage``), ``committed``, ``processed`` (per transformation_ctx)
and log lines. The script's stdout/stderr are the run's output/error logs.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import shlex
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path
from typing import Any

from localaws.glue_runtime import jvm

PYLIB = Path(__file__).parent / "pylib"


class SetupError(Exception):
    """The run cannot start (script missing, a module that does not install...)."""


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _download(url: str, dest: Path) -> Path:
    from localaws.glue_runtime import lgio

    bucket, key = lgio.split_url(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        lgio.client("s3").download_file(bucket, key, str(dest))
    except Exception as exc:  # noqa: BLE001 - ClientError 404/403
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") or type(exc).__name__
        raise SetupError(f"AmazonS3Exception: {url} cannot be read ({code})") from exc
    return dest


def _extra_py_files(args: dict[str, str], scratch: Path) -> list[str]:
    out = []
    for url in [u.strip() for u in (args.get("--extra-py-files") or "").split(",") if u.strip()]:
        dest = _download(url, scratch / "pyfiles" / url.rsplit("/", 1)[-1])
        if dest.suffix == ".zip" or zipfile.is_zipfile(dest):
            out.append(str(dest))
        elif str(dest.parent) not in out:
            out.append(str(dest.parent))
    return out


def _additional_modules(args: dict[str, str], cache: Path) -> str | None:
    spec = (args.get("--additional-python-modules") or "").strip()
    if not spec:
        return None
    mods = [m.strip() for m in spec.split(",") if m.strip()]
    installer = (args.get("--python-modules-installer-option") or "").split()
    key = hashlib.sha256(json.dumps([mods, installer, sys.version_info[:2]]).encode()).hexdigest()[:16]
    target = cache / key
    if (target / ".lakegate-complete").exists():
        _err(f"INFO: --additional-python-modules {spec}: from cache {target}")
        return str(target)
    target.mkdir(parents=True, exist_ok=True)
    local = [m for m in mods if not m.startswith("s3://")]
    for m in mods:
        if m.startswith("s3://"):  # a wheel on S3
            local.append(str(_download(m, target.parent / f"{key}-wheels" / m.rsplit("/", 1)[-1])))
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
           "--target", str(target), *installer, *local]
    _err(f"INFO: installing --additional-python-modules {spec}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines()
                 if ln.strip() and not ln.startswith("WARNING: Location")]
        reason = next((ln for ln in lines if ln.startswith("ERROR:")), lines[-1] if lines else f"exit {proc.returncode}")
        _err("\n".join(lines))
        raise SetupError(f"ModuleInstallationError: --additional-python-modules '{spec}' could not be installed "
                         f"(pip: {reason.removeprefix('ERROR: ')})")
    (target / ".lakegate-complete").write_text(spec)
    return str(target)


def _argv(spec: dict[str, Any], script: Path) -> list[str]:
    args = dict(spec.get("arguments") or {})
    job_id = "j_" + hashlib.sha256(spec["job_name"].encode()).hexdigest()[:60]
    argv = [str(script), "--JOB_ID", job_id, "--JOB_RUN_ID", spec["run_id"], "--JOB_NAME", spec["job_name"]]
    for k, v in args.items():
        if k in ("--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID"):
            continue
        argv += [k if k.startswith("--") else "--" + k, str(v)]
    return argv


def _spark_env(spec: dict[str, Any], scratch: Path) -> tuple[jvm.CdsPlan, str]:
    """``PYSPARK_SUBMIT_ARGS`` (and ``SPARK_HOME``) for the script's SparkContext; returns the run's
    class-data sharing plan (:mod:`localaws.glue_runtime.jvm`), finished by :func:`_stop_spark`,
    and a log line saying which Spark folder the run starts from."""
    master = os.environ.get("LAKEGATE_SPARK_MASTER") or "local[*]"
    options = jvm.java_options()
    shared, home_note = jvm.shared_spark_home()
    if shared is not None:  # the same files at a path every install shares: one archive for all
        os.environ["SPARK_HOME"] = str(shared)
    cds = jvm.cds_plan(options)
    java_opts = [f"-Dderby.system.home={scratch / 'derby'}", *options, *cds.options]
    confs = {
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(scratch / "spark-warehouse"),
        "spark.driver.extraJavaOptions": shlex.join(java_opts),
        "spark.sql.shuffle.partitions": os.environ.get("LAKEGATE_SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.sql.session.timeZone": "UTC",
        "spark.app.name": spec["job_name"],
    }
    extra = " ".join(f"--conf {shlex.quote(f'{k}={v}')}" for k, v in confs.items())
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--master {shlex.quote(master)} {extra} pyspark-shell"
    if jvm.OPTIONS_ENV not in os.environ:
        # Spark's bin/spark-class first runs a small launcher JVM (org.apache.spark.launcher.Main) to
        # build the driver's command line; it reads its extra options from SPARK_LAUNCHER_OPTS
        os.environ.setdefault("SPARK_LAUNCHER_OPTS", jvm.DEFAULT_OPTIONS)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return cds, home_note


def _stop_spark(dumping: bool) -> int | None:
    """Stop the script's SparkContext (if it is still active) and wait for its JVM to exit, so the
    run ends when its JVM has (no JVM outlives its run) and a class-data sharing dump is complete.
    Returns the JVM's exit code, None when there was no JVM or it had to be killed."""
    if "pyspark" not in sys.modules:  # the script never imported PySpark: no JVM
        return None
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()
    proc = getattr(SparkContext._gateway, "proc", None)
    if proc is None:
        return None
    try:
        if proc.stdin is not None:
            proc.stdin.close()  # Spark's PythonGatewayServer exits on EOF of its stdin
        return proc.wait(timeout=600 if dumping else 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def error_message(exc: BaseException) -> str:
    """Glue's ``ErrorMessage`` for an exception the script raised: ``Class: first line``."""
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    name = type(exc).__name__
    if name == "Py4JJavaError":  # "An error occurred while calling o89.save." + the Java exception
        java = next((ln.lstrip(": ") for ln in lines[1:] if ln.startswith(":")), "")
        first = f"{first} {java}".strip()
    return f"{name}: {first}" if first else name


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m localaws.glue_runtime.driver SPEC.json", file=sys.stderr)
        return 2
    spec_path = Path(argv[0])
    spec = json.loads(spec_path.read_text())
    os.environ["LAKEGATE_GLUE_SPEC"] = str(spec_path)
    scratch = Path(spec["scratch"])
    result: dict[str, Any] = {"error": None, "committed": False, "processed": {}, "log": []}
    cds: jvm.CdsPlan | None = None
    from localaws.glue_runtime import sparkio

    try:
        try:
            script_url = spec["script_location"]
            script = _download(script_url, scratch / "script" / (script_url.rsplit("/", 1)[-1] or "script.py"))
            paths = [str(script.parent), str(PYLIB)]
            paths += _extra_py_files(spec.get("arguments") or {}, scratch)
            mods = _additional_modules(spec.get("arguments") or {}, Path(spec["module_cache"]))
            if mods:
                paths.append(mods)
        except SetupError as exc:
            result["error"] = str(exc)
            _err(f"ERROR: {result['error']}")
            return 0
        sys.path[:0] = paths
        # Spark's Python workers unpickle the script's functions: they need the same modules
        os.environ["PYTHONPATH"] = os.pathsep.join(paths + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
        if spec["kind"] == "spark":
            try:
                cds, home_note = _spark_env(spec, scratch)
            except ValueError as exc:  # LAKEGATE_SPARK_JAVA_OPTIONS that does not parse
                result["error"] = f"Glue job runtime misconfigured: {exc}"
                _err(f"ERROR: {result['error']}")
                return 0
            sparkio.RUN.log.append(f"INFO: JVM options: {' '.join(jvm.java_options()) or '(the JVM defaults)'}; {cds.note}; "
                                   f"{home_note}")
            sparkio.patch_spark()
        sys.argv = _argv(spec, script)
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                result["error"] = f"SystemExit: {exc.code}"
                _err(f"ERROR: script exited with {exc.code}")
        except BaseException as exc:  # noqa: BLE001 - the user's error is the run's ErrorMessage
            traceback.print_exc()
            result["error"] = error_message(exc)
        if not result["error"]:
            result["committed"] = sparkio.RUN.committed
        result["processed"] = {k: [o.record() for o in v] for k, v in sparkio.RUN.processed.items()}
        result["log"] = sparkio.RUN.log
        return 0
    finally:
        if spec.get("kind") == "spark":
            jvm_exit = None
            try:
                jvm_exit = _stop_spark(dumping=bool(cds and cds.dumping))
            except Exception:  # noqa: BLE001 - the result matters more than a clean JVM exit
                pass
            if cds is not None:
                line = jvm.finish_dump(cds, jvm_exit)
                if line:
                    result["log"].append(line)
        Path(spec["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    # this process serves no requests: importing localaws.glue.bookmarks must not register the
    # server's handlers (and import moto); see localaws/glue/__init__.py
    import localaws.glue_runtime

    localaws.glue_runtime.SCRIPT_RUN = True
    sys.exit(main(sys.argv[1:]))
