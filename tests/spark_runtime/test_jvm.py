"""JVM options of a Glue script run's Spark driver (localaws/glue_runtime/jvm.py): the documented
defaults and their override, and the class-data sharing archive's life: one run at a time dumps
it, a killed run's lock is taken over, an archive that does not start a JVM under -Xshare:on is
never put in place, and later runs map the checked archive."""

from __future__ import annotations

import json
import os
import shlex
import shutil

import pytest

from localaws.glue_runtime import jvm


@pytest.fixture
def cds(tmp_path, monkeypatch):
    monkeypatch.setenv(jvm.CDS_DIR_ENV, str(tmp_path / "cds"))
    monkeypatch.delenv(jvm.CDS_ENV, raising=False)
    monkeypatch.delenv(jvm.OPTIONS_ENV, raising=False)
    if jvm.archive_key(jvm.java_options()) is None:
        pytest.skip("java binary not found on PATH/JAVA_HOME or pyspark is not installed")
    return tmp_path / "cds"


def test_java_options_are_documented_defaults_and_can_be_replaced(monkeypatch):
    monkeypatch.delenv(jvm.OPTIONS_ENV, raising=False)
    assert jvm.java_options() == ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    monkeypatch.setenv(jvm.OPTIONS_ENV, "-Xmx2g '-Dx=a b'")
    assert jvm.java_options() == ["-Xmx2g", "-Dx=a b"]
    monkeypatch.setenv(jvm.OPTIONS_ENV, "")  # the JVM's own defaults
    assert jvm.java_options() == []
    monkeypatch.setenv(jvm.OPTIONS_ENV, "-Dx='unclosed")
    with pytest.raises(ValueError, match=r"LAKEGATE_SPARK_JAVA_OPTIONS=.* cannot be split into JVM options"):
        jvm.java_options()


def test_bad_java_options_fail_the_run_with_a_clear_error(tmp_path, monkeypatch):
    """The run fails (the driver's result carries the error) instead of running without Spark
    settings or reporting success."""
    from localaws.glue_runtime import driver

    script = tmp_path / "script" / "etl.py"
    script.parent.mkdir()
    script.write_text("raise SystemExit('never runs')\n")
    monkeypatch.setattr(driver, "_download", lambda url, dest: script)
    monkeypatch.setenv(jvm.OPTIONS_ENV, "-Dx='unclosed")
    spec = {"kind": "spark", "job_name": "etl", "run_id": "jr_1", "script_location": "s3://b/etl.py",
            "arguments": {}, "scratch": str(tmp_path), "result": str(tmp_path / "result.json"),
            "module_cache": str(tmp_path / "modules")}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    monkeypatch.setattr(driver.sys, "path", list(driver.sys.path))
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("LAKEGATE_GLUE_SPEC", "")
    # this process's own PySpark gateway (another module's reference session) is not the run's
    monkeypatch.setattr(driver, "_stop_spark", lambda dumping: None)
    assert driver.main([str(tmp_path / "spec.json")]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["error"].startswith("Glue job runtime misconfigured: LAKEGATE_SPARK_JAVA_OPTIONS=")
    assert result["committed"] is False


def test_cds_off_adds_nothing(cds, monkeypatch):
    monkeypatch.setenv(jvm.CDS_ENV, "0")
    plan = jvm.cds_plan(jvm.java_options())
    assert plan.options == [] and plan.dumping is None and "off" in plan.note
    assert not cds.exists()


def test_first_run_dumps_alone_then_runs_map_the_checked_archive(cds, monkeypatch):
    opts = jvm.java_options()
    first = jvm.cds_plan(opts)
    assert first.dumping is not None and first.options == [f"-XX:ArchiveClassesAtExit={first.dumping}"]
    assert first.base == opts
    second = jvm.cds_plan(opts)  # while the first run's JVM is still going
    assert second.options == [] and "another run is writing" in second.note
    first.dumping.write_bytes(b"archive")  # what the JVM writes at exit
    checked = []
    monkeypatch.setattr(jvm, "_check", lambda path, options: checked.append((path, options)))
    assert jvm.finish_dump(first, 0) == f"INFO: class-data sharing: wrote archive {first.archive}"
    assert checked == [(first.dumping, opts)]
    assert first.archive.read_bytes() == b"archive" and not first.lock.exists() and not first.dumping.exists()
    assert json.loads(first.archive.with_suffix(".json").read_text()) == {"spark_home": str(jvm.spark_home())}
    later = jvm.cds_plan(opts)
    assert later.options == [f"-XX:SharedArchiveFile={first.archive}"] and later.dumping is None
    assert shlex.split(jvm.session_java_options()) == opts + later.options
    # another option set is another archive
    assert jvm.cds_plan(["-Xmx512m"]).dumping is not None


def test_a_killed_runs_lock_is_taken_over(cds):
    plan = jvm.cds_plan(jvm.java_options())
    plan.lock.write_text("999999999")  # a pid that is not running (the run was stopped or timed out)
    partial = plan.dumping.with_name(plan.dumping.name.replace(f".{os.getpid()}.", ".999999999."))
    partial.write_bytes(b"half an archive")
    again = jvm.cds_plan(jvm.java_options())
    assert again.dumping is not None and again.lock.read_text() == str(os.getpid())
    assert not partial.exists()  # the killed run's partial dump is removed


def test_a_damaged_archive_is_never_put_in_place(cds):
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("java binary not found on PATH")
    opts = jvm.java_options()
    plan = jvm.cds_plan(opts)
    plan.dumping.write_bytes(os.urandom(4096))  # e.g. a dump cut short
    line = jvm.finish_dump(plan, 0)
    assert line.startswith("INFO: class-data sharing: archive not usable (java -Xshare:on exited 1")
    assert not plan.archive.exists() and not plan.dumping.exists() and not plan.lock.exists()
    assert not list(cds.glob("hs_err*"))
    after = jvm.cds_plan(opts)  # remembered: no run tries again with this JVM and these jars
    assert after.options == [] and after.note.startswith("class-data sharing: not available on this JVM")


def test_a_jvm_that_writes_no_archive_is_remembered(cds):
    plan = jvm.cds_plan(jvm.java_options())
    assert jvm.finish_dump(plan, 0) == "INFO: class-data sharing: no archive written by this run"
    assert "wrote no archive" in jvm.cds_plan(jvm.java_options()).note
    # a run whose JVM was killed (None) or crashed (non-zero) says nothing about the JVM: the next
    # run tries again
    for code in (None, 1, -9):
        other = jvm.cds_plan(["-Xmx700m"])
        assert other.dumping is not None
        assert jvm.finish_dump(other, code) == "INFO: class-data sharing: no archive written by this run"
    assert jvm.cds_plan(["-Xmx700m"]).dumping is not None


def test_archives_of_spark_installs_that_are_gone_are_pruned(cds, tmp_path):
    cds.mkdir(parents=True)
    (tmp_path / "venv-kept" / "jars").mkdir(parents=True)
    for key, home in (("aaa", tmp_path / "venv-gone"), ("bbb", tmp_path / "venv-kept")):
        (cds / f"spark-{key}.jsa").write_bytes(b"x")
        (cds / f"spark-{key}.json").write_text(json.dumps({"spark_home": str(home)}))
    (cds / "spark-aaa.failed").write_text("why")
    assert jvm.prune(cds) == 1
    assert sorted(p.name for p in cds.iterdir()) == ["spark-bbb.jsa", "spark-bbb.json"]


def _pip_spark(root, name: str, jar_body: bytes = b"PK jar one"):
    """A pip-installed PySpark's runtime parts: launcher scripts, jars, the workers' zips."""
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "spark-submit").write_text("#!/bin/sh\n")
    (home / "bin" / "spark-submit").chmod(0o755)
    (home / "jars").mkdir()
    (home / "jars" / "one.jar").write_bytes(jar_body)
    (home / "jars" / "two.jar").write_bytes(b"PK jar two")
    (home / "python" / "lib").mkdir(parents=True)
    (home / "python" / "lib" / "pyspark.zip").write_bytes(b"PK zip")
    (home / "sql").mkdir()  # the Python package itself: not part of the copy
    (home / "sql" / "x.py").write_text("")
    return home


def test_installs_with_the_same_files_share_one_checked_spark_folder(cds, tmp_path, monkeypatch):
    """The archive's class path is a folder named by the content of Spark's runtime files, so a new
    virtualenv with byte-identical files (a fresh CI clone) uses the archive an older one wrote,
    and anything else is another folder."""
    monkeypatch.delenv("SPARK_HOME", raising=False)
    monkeypatch.delenv(jvm.SHARED_HOME_ENV, raising=False)
    first = _pip_spark(tmp_path, "venv-1")
    monkeypatch.setattr(jvm, "spark_home", lambda: first)
    shared, note = jvm.shared_spark_home()
    assert shared is not None and shared.parent == cds and shared.name.startswith("spark-home-")
    assert note == f"Spark folder: {shared} (the same files as {first}; made now)"
    assert sorted(str(p.relative_to(shared)) for p in shared.rglob("*") if p.is_file()) == [
        ".manifest.json", "bin/spark-submit", "jars/one.jar", "jars/two.jar", "python/lib/pyspark.zip"]
    assert os.access(shared / "bin" / "spark-submit", os.X_OK)
    assert (shared / "jars" / "one.jar").read_bytes() == b"PK jar one"

    # another virtualenv, same content, other paths and times: the same folder, not rebuilt
    second = tmp_path / "venv-2"
    shutil.copytree(first, second, copy_function=shutil.copy)  # new time stamps
    built = (shared / ".manifest.json").stat().st_mtime_ns
    monkeypatch.setattr(jvm, "spark_home", lambda: second)
    assert jvm.shared_spark_home() == (shared, f"Spark folder: {shared} (the same files as {second})")
    assert (shared / ".manifest.json").stat().st_mtime_ns == built
    # the archive key is the folder's: both installs get one archive
    monkeypatch.setattr(jvm, "spark_home", lambda: shared)
    key = jvm.archive_key(opts := jvm.java_options())
    assert key is not None and jvm.cds_plan(opts).archive == cds / f"spark-{key}.jsa"

    # a jar that differs in content only (same size, same time stamp): another folder
    third = tmp_path / "venv-3"
    shutil.copytree(first, third)
    (third / "jars" / "one.jar").write_bytes(b"PK jar 1!1")
    st = (first / "jars" / "one.jar").stat()
    os.utime(third / "jars" / "one.jar", ns=(st.st_atime_ns, st.st_mtime_ns))
    monkeypatch.setattr(jvm, "spark_home", lambda: third)
    other, _ = jvm.shared_spark_home()
    assert other is not None and other != shared and (other / "jars" / "one.jar").read_bytes() == b"PK jar 1!1"

    # a damaged copy is rebuilt, never used
    monkeypatch.setattr(jvm, "spark_home", lambda: second)
    (shared / "jars" / "two.jar").unlink()
    (shared / "jars" / "two.jar").write_bytes(b"PK")
    again, note = jvm.shared_spark_home()
    assert again == shared and note.endswith("made now)") and (shared / "jars" / "two.jar").read_bytes() == b"PK jar two"
    assert not list(cds.glob("*.tmp")) and not list(cds.glob("*.old"))

    # the copy of content no existing install has is removed when another copy is made
    shutil.rmtree(third)
    (first / "jars" / "two.jar").write_bytes(b"PK jar 2!")
    monkeypatch.setattr(jvm, "spark_home", lambda: first)
    newest, note = jvm.shared_spark_home()
    assert note.endswith("removed 1 copies of Spark versions no install uses)")
    assert sorted(p.name for p in cds.glob("spark-home-*")) == sorted([newest.name, shared.name])


def test_no_shared_spark_folder_for_a_chosen_spark_home_or_when_off(cds, tmp_path, monkeypatch):
    home = _pip_spark(tmp_path, "venv")
    monkeypatch.setattr(jvm, "spark_home", lambda: home)
    monkeypatch.setenv("SPARK_HOME", str(home))
    assert jvm.shared_spark_home() == (None, "Spark folder: SPARK_HOME as set")
    monkeypatch.delenv("SPARK_HOME")
    for var in (jvm.SHARED_HOME_ENV, jvm.CDS_ENV):
        monkeypatch.setenv(var, "0")
        assert jvm.shared_spark_home()[0] is None
        monkeypatch.delenv(var)
    assert jvm.shared_spark_home()[0] is not None


def test_a_fresh_installs_jvm_maps_the_archive_an_install_deleted_since_wrote(cds, tmp_path, monkeypatch):
    """CI's case, on the real JVM: install 1 writes the archive from the shared folder and is
    deleted; install 2 (the same files, new paths and times) starts a JVM under -Xshare:on with
    that archive, which the JVM accepts only because the class path is the shared folder's."""
    import subprocess

    real = jvm.spark_home()
    monkeypatch.delenv("SPARK_HOME", raising=False)
    monkeypatch.delenv(jvm.SHARED_HOME_ENV, raising=False)

    def install(name: str):
        home = tmp_path / name
        (home / "jars").mkdir(parents=True)
        for jar in [*(real / "jars").glob("spark-launcher_*.jar"), *(real / "jars").glob("spark-tags_*.jar")]:
            shutil.copy(jar, home / "jars" / jar.name)  # new time stamps: only the content is the same
        return home

    def java(home, plan_options):
        return subprocess.run([str(jvm.java_binary()), *opts, *plan_options, "-cp", f"{home / 'conf'}:{home / 'jars'}/*",
                               "org.apache.spark.launcher.Main", "org.apache.spark.deploy.SparkSubmit", "--master",
                               "local", "pyspark-shell"], env={**os.environ, "SPARK_HOME": str(home),
                                                              "SPARK_SCALA_VERSION": "2.12"},
                              capture_output=True, text=True, timeout=120)

    opts = jvm.java_options()
    first = install("venv-1")
    monkeypatch.setattr(jvm, "spark_home", lambda: first)
    shared, _ = jvm.shared_spark_home()
    monkeypatch.setattr(jvm, "spark_home", lambda: shared)  # what the run's SPARK_HOME says
    plan = jvm.cds_plan(opts)
    assert plan.dumping is not None
    assert java(shared, plan.options).returncode == 0
    assert jvm.finish_dump(plan, 0).startswith(f"INFO: class-data sharing: wrote archive {plan.archive}")
    shutil.rmtree(first)

    second = install("venv-2")
    monkeypatch.setattr(jvm, "spark_home", lambda: second)
    assert jvm.shared_spark_home()[0] == shared
    monkeypatch.setattr(jvm, "spark_home", lambda: shared)
    again = jvm.cds_plan(opts)
    assert again.options == [f"-XX:SharedArchiveFile={plan.archive}"]
    ran = java(shared, ["-Xshare:on", *again.options])
    assert ran.returncode == 0, ran.stderr[-2000:]
    # the install's own folder (what runs used before) is another class path: the JVM refuses it
    refused = java(second, ["-Xshare:on", *again.options])
    assert refused.returncode != 0 and "Unable to use shared archive" in refused.stdout + refused.stderr
