"""JVM options for the short-lived local Spark driver of one Glue script run.

Every Spark run is a new Python process and a new JVM (``local[*]``) that lives for seconds to
minutes over small data. The JVM's defaults are tuned for long-running servers, and on such a run
most of the JVM's CPU goes to the optimising JIT compiler (C2) and to loading and verifying
Spark's ~250 jars' classes, not to the job. Two documented JVM features cut that without changing
what the run computes (docs/spark-runtime.md "Tuning"):

* :data:`DEFAULT_OPTIONS` (``LAKEGATE_SPARK_JAVA_OPTIONS`` replaces them, ``""`` = the JVM's own
  defaults): ``-XX:TieredStopAtLevel=1`` (compile with C1 only) and ``-XX:+UseSerialGC`` (one GC
  thread, for small heaps). Sources: AWS Lambda's "Customize Java runtime startup behavior"
  (https://docs.aws.amazon.com/lambda/latest/dg/java-customization.html: tiered compilation
  stopped at level 1 for short-lived JVMs) and the HotSpot GC tuning guide, "Available
  Collectors" (https://docs.oracle.com/en/java/javase/17/gctuning/available-collectors.html).
* **Application class-data sharing** (AppCDS, JEP 350 dynamic archives, JDK 13+; the ``java``
  command reference, "Application Class Data Sharing",
  https://docs.oracle.com/en/java/javase/17/docs/specs/man/java.html): the first run
  on a machine dumps the classes it loaded into an archive (``-XX:ArchiveClassesAtExit``); later
  runs map it (``-XX:SharedArchiveFile``), so those classes are neither parsed nor verified again.
  The archive is keyed by everything its validity depends on (the ``java`` binary and its
  ``libjvm``, Spark's jar list with sizes and times, the classpath variables, the options), is
  written under a temporary name and only renamed into place after a JVM has started with it
  under ``-Xshare:on`` (a damaged archive can crash the JVM, so an unchecked file is never used).
  ``LAKEGATE_SPARK_CDS=0`` turns it off; ``LAKEGATE_SPARK_CDS_DIR`` is where archives live
  (default ``~/.cache/lakegate/spark-cds``); writing one removes those of Spark installations
  that are gone (:func:`prune`).
* **One archive per Spark content, not per virtualenv** (:func:`shared_spark_home`): runs start
  Spark from a copy of the install's runtime files named by their SHA-256, so every virtualenv
  with byte-identical PySpark files (a fresh CI clone) has the same class path and maps the same
  archive instead of writing its own (``LAKEGATE_SPARK_SHARED_HOME=0`` turns it off).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
OPTIONS_ENV = "LAKEGATE_SPARK_JAVA_OPTIONS"
CDS_ENV = "LAKEGATE_SPARK_CDS"
CDS_DIR_ENV = "LAKEGATE_SPARK_CDS_DIR"
SHARED_HOME_ENV = "LAKEGATE_SPARK_SHARED_HOME"
#: what a local Spark driver and its Python workers read from the Spark folder (the launcher
#: scripts, the class path, Spark's configuration, the workers' pyspark.zip and py4j zip)
HOME_PARTS = ("bin", "jars", "conf", "python", "RELEASE")
#: a dump lock older than this (or whose process is gone) is taken over
STALE_LOCK_S = 1800.0


def java_options() -> list[str]:
    """The JVM options for a run's driver (:data:`DEFAULT_OPTIONS` unless the variable is set)."""
    raw = os.environ.get(OPTIONS_ENV)
    try:
        return shlex.split(DEFAULT_OPTIONS if raw is None else raw)
    except ValueError as exc:  # unbalanced quotes
        raise ValueError(f"{OPTIONS_ENV}={raw!r} cannot be split into JVM options ({exc})") from None


def cds_enabled() -> bool:
    return (os.environ.get(CDS_ENV) or "1").strip().lower() not in ("0", "false", "no", "off")


def cds_dir() -> Path:
    base = os.environ.get(CDS_DIR_ENV)
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakegate" / "spark-cds"


def java_binary() -> Path | None:
    """The ``java`` Spark's launcher runs (``bin/spark-class``: ``$JAVA_HOME/bin/java``, else PATH)."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found or not Path(found).exists():
        return None
    return Path(found).resolve()


def spark_home() -> Path | None:
    """The Spark installation PySpark launches (``SPARK_HOME``, else the pip package's folder)."""
    env = os.environ.get("SPARK_HOME")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _stat(p: Path) -> list:
    try:
        st = p.stat()
    except OSError:
        return [str(p), None]
    return [str(p), st.st_size, st.st_mtime_ns]


def archive_key(options: list[str]) -> str | None:
    """What an archive's validity depends on, hashed; None when there is no JVM or Spark."""
    java, home = java_binary(), spark_home()
    if java is None or home is None or not (home / "jars").is_dir():
        return None
    libjvm = next(iter(sorted(java.parent.parent.glob("lib/*/libjvm.so"))), java)
    jars = sorted((home / "jars").iterdir())
    material = {
        "java": _stat(java), "libjvm": _stat(libjvm), "spark_home": str(home),
        "jars": [_stat(j)[1:] + [j.name] for j in jars],
        "env": {k: os.environ.get(k) for k in ("SPARK_DIST_CLASSPATH", "HADOOP_CONF_DIR", "YARN_CONF_DIR",
                                                "SPARK_CONF_DIR", "SPARK_PREPEND_CLASSES")},
        "options": options,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:20]


def shared_home_enabled() -> bool:
    return cds_enabled() and (os.environ.get(SHARED_HOME_ENV) or "1").strip().lower() not in ("0", "false", "no", "off")


def _home_files(home: Path) -> list[Path]:
    out: list[Path] = []
    for part in HOME_PARTS:
        top = home / part
        if top.is_file():
            out.append(top)
        elif top.is_dir():
            out.extend(sorted(p for p in top.rglob("*") if p.is_file()))
    return out


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def shared_spark_home() -> tuple[Path | None, str]:
    """A content-addressed copy of the pip-installed Spark folder's runtime parts
    (:data:`HOME_PARTS`), at a path that does not depend on the virtualenv, and a log line.

    A class-data sharing archive is only valid for the class path it was written with (the JVM
    records every jar's path, size and time). Every new virtualenv (a fresh CI clone) has the
    same PySpark in another folder, so it would write a new archive (~20 CPU-s) although its jars
    are byte-identical. Runs therefore start Spark from ``<LAKEGATE_SPARK_CDS_DIR>/spark-home-
    <sha256 of every file's content, name and executable bit>``: hard links to (or, across file
    systems, copies of) the install's files, built once per content and checked against its
    manifest (each file's size and time) before each use; a damaged or incomplete copy is never
    used (rebuilt instead). Installs with identical files share the folder and so the archive;
    any other content is another folder. The digest of an install is computed once (~0.5 CPU-s)
    and remembered by its files' paths, sizes, times and inodes.

    None (use the install as it is) when ``SPARK_HOME`` is set (a Spark distribution the user
    chose), when CDS or ``LAKEGATE_SPARK_SHARED_HOME`` is off, or when the copy cannot be made."""
    if not shared_home_enabled():
        return None, f"Spark folder: the install's own ({SHARED_HOME_ENV} or {CDS_ENV} off)"
    if os.environ.get("SPARK_HOME"):
        return None, "Spark folder: SPARK_HOME as set"
    home = spark_home()
    if home is None or not (home / "jars").is_dir():
        return None, "Spark folder: no Spark jars found"
    folder = cds_dir()
    try:
        files = _home_files(home)
        stats = [(str(f.relative_to(home)), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
                 for f in files for st in [f.stat()]]
        install = hashlib.sha256(json.dumps([str(home), stats]).encode()).hexdigest()[:20]
        memo = folder / "installs" / f"{install}.json"
        digest = _note(memo).get("digest")
        if not isinstance(digest, str):
            material = [(str(f.relative_to(home)), _digest(f), bool(f.stat().st_mode & 0o111)) for f in files]
            digest = hashlib.sha256(json.dumps(material).encode()).hexdigest()[:20]
            memo.parent.mkdir(parents=True, exist_ok=True)
            _write_note(memo, {"digest": digest, "spark_home": str(home)})
        shared = folder / f"spark-home-{digest}"
        if _intact(shared):
            return shared, f"Spark folder: {shared} (the same files as {home})"
        built = _build_home(home, files, shared)
        pruned = _prune_homes(folder, keep=shared)
        return built, (f"Spark folder: {built} (the same files as {home}; made now"
                       + (f", removed {pruned} copies of Spark versions no install uses" if pruned else "") + ")")
    except OSError as exc:
        return None, f"Spark folder: the install's own (cannot use {folder}: {exc.strerror or exc})"


def _intact(shared: Path) -> bool:
    """The shared folder is complete and its files are the ones it was built with."""
    manifest = _note(shared / ".manifest.json").get("files")
    if not isinstance(manifest, list):
        return False
    for rel, size, mtime in manifest:
        try:
            st = (shared / rel).stat()
        except OSError:
            return False
        if st.st_size != size or st.st_mtime_ns != mtime:
            return False
    return True


def _build_home(home: Path, files: list[Path], shared: Path) -> Path:
    """Hard-link (else copy) ``files`` into a temporary folder, write its manifest, then rename it
    to ``shared`` (atomic: a concurrent run sees no folder or a complete one)."""
    tmp = shared.with_name(f"{shared.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    manifest = []
    for f in files:
        rel = f.relative_to(home)
        dest = tmp / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, dest)
        except OSError:
            shutil.copy2(f, dest)
        st = dest.stat()
        manifest.append([str(rel), st.st_size, st.st_mtime_ns])
    _write_note(tmp / ".manifest.json", {"files": manifest, "from": str(home)})
    if shared.exists() and _intact(shared):  # another run put a complete folder in place meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        return shared
    if shared.exists():  # damaged (failed _intact): replace it
        old = shared.with_name(f"{shared.name}.{os.getpid()}.old")
        os.replace(shared, old)
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(tmp, shared)
    except OSError:  # another run put a complete folder in place first
        shutil.rmtree(tmp, ignore_errors=True)
    return shared


def _prune_homes(folder: Path, keep: Path) -> int:
    """Remove the shared Spark folders (and their archives, :func:`prune`) of content that no
    existing install has any more (an older PySpark in deleted virtualenvs)."""
    live: set[str] = {keep.name.removeprefix("spark-home-")}
    memos = list((folder / "installs").glob("*.json"))
    for memo in memos:
        data = _note(memo)
        if data.get("spark_home") and (Path(data["spark_home"]) / "jars").is_dir():
            live.add(str(data.get("digest")))
        else:
            memo.unlink(missing_ok=True)
    gone = 0
    for shared in folder.glob("spark-home-*"):
        if shared.is_dir() and "." not in shared.name and shared.name.removeprefix("spark-home-") not in live:
            shutil.rmtree(shared, ignore_errors=True)
            gone += 1
    if gone:
        prune(folder)
    return gone


def _note(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_note(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old or the new note


@dataclass
class CdsPlan:
    """What this run does about class-data sharing: use an archive, dump one, or neither."""
    options: list[str]
    note: str
    base: list[str] = field(default_factory=list)  # the run's other JVM options (the check uses them)
    archive: Path | None = None  # the final archive path
    dumping: Path | None = None  # where this run's JVM dumps (renamed to ``archive`` if it checks out)
    lock: Path | None = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_lock(lock: Path) -> bool:
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
                age = time.time() - lock.stat().st_mtime
            except (OSError, ValueError):
                pid, age = 0, STALE_LOCK_S + 1
            if (pid and _pid_alive(pid)) and age < STALE_LOCK_S:
                return False
            lock.unlink(missing_ok=True)  # its run was killed (timeout, BatchStopJobRun): take over
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        return True
    return False


def cds_plan(options: list[str]) -> CdsPlan:
    """Use the archive for ``options`` when it exists; otherwise let this run dump it (one run at a
    time per archive), or do nothing when CDS is off or cannot apply."""
    if not cds_enabled():
        return CdsPlan([], f"class-data sharing off ({CDS_ENV})")
    key = archive_key(options)
    if key is None:
        return CdsPlan([], "class-data sharing: no java or Spark jars found")
    folder = cds_dir()
    archive = folder / f"spark-{key}.jsa"
    if archive.is_file():
        return CdsPlan([f"-XX:SharedArchiveFile={archive}"], f"class-data sharing archive {archive}", options, archive)
    failed = folder / f"spark-{key}.failed"
    if failed.exists():
        return CdsPlan([], f"class-data sharing: not available on this JVM ({failed.read_text().strip()[:200]})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = folder / f"spark-{key}.lock"
        if not _take_lock(lock):
            return CdsPlan([], "class-data sharing: another run is writing the archive")
    except OSError as exc:
        return CdsPlan([], f"class-data sharing: cannot write {folder} ({exc.strerror or exc})")
    for stale in folder.glob(f"spark-{key}.*.dumping"):  # a killed run's partial dump (~130 MB)
        stale.unlink(missing_ok=True)
    dumping = folder / f"spark-{key}.{os.getpid()}.dumping"
    return CdsPlan([f"-XX:ArchiveClassesAtExit={dumping}"], f"class-data sharing: writing archive {archive}",
                   options, archive, dumping, lock)


def finish_dump(plan: CdsPlan, jvm_exit: int | None) -> str | None:
    """After the dumping JVM exited: check the archive by starting a JVM on it with ``-Xshare:on``
    (same options and classpath) and rename it into place; otherwise remember why not. Returns a
    log line, or None when this run did not dump."""
    if plan.dumping is None or plan.archive is None:
        return None
    try:
        if jvm_exit is None or not plan.dumping.is_file():
            if jvm_exit == 0:  # the JVM ended normally and wrote nothing: it cannot dump
                plan.archive.with_suffix(".failed").write_text(
                    f"the JVM wrote no archive (exit {jvm_exit}) with -XX:ArchiveClassesAtExit")
            return "INFO: class-data sharing: no archive written by this run"
        why = _check(plan.dumping, plan.base)
        if why:
            plan.archive.with_suffix(".failed").write_text(why)
            return f"INFO: class-data sharing: archive not usable ({why})"
        os.replace(plan.dumping, plan.archive)
        home = spark_home()
        plan.archive.with_suffix(".json").write_text(json.dumps({"spark_home": str(home) if home else None}))
        pruned = prune(plan.archive.parent)
        return (f"INFO: class-data sharing: wrote archive {plan.archive}"
                + (f" (removed {pruned} archive(s) of Spark installs that are gone)" if pruned else ""))
    finally:
        if plan.dumping is not None:
            plan.dumping.unlink(missing_ok=True)
        if plan.lock is not None:
            plan.lock.unlink(missing_ok=True)


def prune(folder: Path) -> int:
    """Remove the archives (and notes) of Spark installations that no longer exist (a deleted
    virtualenv, a CI clone): each is ~130 MB. Returns how many archives went."""
    gone = 0
    for meta in folder.glob("spark-*.json"):
        try:
            home = json.loads(meta.read_text()).get("spark_home")
        except (OSError, ValueError):
            continue
        if home and not (Path(home) / "jars").is_dir():
            for suffix in (".jsa", ".failed", ".json"):
                meta.with_suffix(suffix).unlink(missing_ok=True)
            gone += 1
    return gone


def _check(archive: Path, options: list[str]) -> str | None:
    """None when a JVM starts with ``archive`` under ``-Xshare:on`` (which refuses a mismatched
    archive instead of falling back); else why not."""
    java, home = java_binary(), spark_home()
    if java is None or home is None:
        return "java or Spark not found"
    cp = f"{home / 'conf'}{os.pathsep}{home / 'jars' / '*'}"
    err = archive.parent / f"hs_err_check_{os.getpid()}.log"
    try:
        proc = subprocess.run([str(java), *options, "-Xshare:on", f"-XX:SharedArchiveFile={archive}",
                               f"-XX:ErrorFile={err}", "-cp", cp, "-version"],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"check failed: {exc}"
    finally:
        err.unlink(missing_ok=True)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip() and not ln.startswith("#")]
        return f"java -Xshare:on exited {proc.returncode}: {(lines or ['no output'])[0][:200]}"
    return None


def session_java_options() -> str:
    """``spark.driver.extraJavaOptions`` for a SparkSession started in a long-lived process (the
    tests' plain-PySpark reference sessions): the same options, and the archive when one exists.
    It never dumps one (that JVM exits with its process, not with the session)."""
    options = java_options()
    plan = cds_plan_existing(options)
    return shlex.join(options + plan)


def cds_plan_existing(options: list[str]) -> list[str]:
    """``-XX:SharedArchiveFile=...`` when CDS is on and the archive for ``options`` exists, else []."""
    if not cds_enabled():
        return []
    key = archive_key(options)
    archive = cds_dir() / f"spark-{key}.jsa" if key else None
    return [f"-XX:SharedArchiveFile={archive}"] if archive is not None and archive.is_file() else []
