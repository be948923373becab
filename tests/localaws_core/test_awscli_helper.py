"""The preloaded aws CLI of ``tests/_awscli.py`` against the real ``aws`` program.

Every other test runs ``aws`` through that helper (a fork of the CLI's own interpreter with the
imports done); this file is where the suite still execs the ``aws`` binary on PATH end to end, for a
set of commands, and requires the helper to give the same stdout, stderr and exit code: JSON and
text output, ``--query``, a service error (255), a usage error, the s3 high-level commands, a
``file://`` parameter relative to the working directory, and settings taken from the environment
(region, output format). A helper that lost the argv, the environment, the working directory or
an output stream, or exited differently, fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lakegate import localenv
from tests import _awscli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runner():
    _awscli.require()  # skips (fails under CI) when the aws CLI is not installed
    cli = _awscli.AwsCli(preload=True)
    yield cli
    cli.close()
    assert cli.zygote_pids() == []


def _exec_aws(args: list[str], env: dict[str, str], cwd: str) -> subprocess.CompletedProcess:
    exe = shutil.which("aws", path=env.get("PATH"))
    if exe is None:
        pytest.skip("the aws CLI is not installed")
    return subprocess.run([exe, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def test_preloaded_cli_equals_the_aws_program(local_aws: localenv.LocalState, aws, uid: str, runner,
                                              tmp_path) -> None:
    db, bucket = f"eq_{uid}", f"eq-{uid}"
    aws("glue").create_database(DatabaseInput={"Name": db, "Description": "équivalence"})
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="a/b.txt", Body=b"x" * 3)
    (tmp_path / "in.json").write_text(json.dumps({"Name": db}))
    env = localenv.aws_env(local_aws)
    env.update({"AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"})
    ep = ["--endpoint-url", local_aws.endpoint]
    text_env = dict(env, AWS_DEFAULT_OUTPUT="text")
    cases = [
        ([*ep, "--region", localenv.REGION, "--output", "json", "glue", "get-database", "--name", db], env),
        ([*ep, "glue", "get-databases", "--query", f"DatabaseList[?Name=='{db}'].[Name, Description]"], text_env),
        ([*ep, "--output", "json", "glue", "get-database", "--name", f"nope_{uid}"], env),
        ([*ep, "glue", "get-database", "--no-such-option"], env),
        ([*ep, "s3", "ls", f"s3://{bucket}/a/"], env),
        ([*ep, "--output", "json", "glue", "get-database", "--cli-input-json", "file://in.json"], env),
    ]
    got = []
    for args, e in cases:
        real = _exec_aws(args, e, str(tmp_path))
        fork = runner.run(args, env=e, cwd=str(tmp_path))
        assert (fork.returncode, fork.stdout, fork.stderr) == (real.returncode, real.stdout, real.stderr), args
        got.append(real)
    # the comparison was against the preloaded path, not the exec fallback
    assert runner.zygote_pids(), "no preloaded aws CLI ran: the helper fell back to exec'ing aws"
    db_json, db_text, missing, usage, s3_ls, from_file = got
    # the outputs are the CLI's, not empty: what each case is meant to exercise happened
    assert json.loads(db_json.stdout)["Database"]["Description"] == "équivalence"
    assert db_text.stdout.split("\t") == [db, "équivalence\n"]
    assert missing.returncode == 255 and "(EntityNotFoundException)" in missing.stderr and missing.stdout == ""
    assert usage.returncode not in (0, 255) and "usage:" in usage.stderr
    assert s3_ls.returncode == 0 and s3_ls.stdout.rstrip().endswith("3 b.txt")
    assert json.loads(from_file.stdout)["Database"]["Name"] == db


def test_an_aws_script_found_directly_on_path(local_aws: localenv.LocalState, runner, tmp_path) -> None:
    """``aws`` on PATH being the Python script itself (a virtualenv's bin, awscli is a dev
    dependency) rather than a pyenv shim: its shebang's interpreter runs the zygote."""
    bindir = str(Path(sys.executable).parent)
    if shutil.which("aws", path=bindir) is None:
        pytest.skip(f"the aws CLI is not installed in {bindir} (pip install -e '.[dev]')")
    env = dict(localenv.aws_env(local_aws), AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    res = _awscli.resolve(env)
    assert res.script == os.path.join(bindir, "aws") and res.python and res.env_overlay == ()
    args = ["--endpoint-url", local_aws.endpoint, "glue", "get-table", "--database-name", "none", "--name", "t"]
    real = _exec_aws(args, env, str(tmp_path))
    fork = runner.run(args, env=env, cwd=str(tmp_path))
    assert (fork.returncode, fork.stdout, fork.stderr) == (real.returncode, real.stdout, real.stderr)
    assert real.returncode == 255 and "(EntityNotFoundException)" in real.stderr
    assert res.script in runner.zygote_scripts(), "the call did not run in a zygote of this aws script"


def test_one_zygote_per_import_relevant_environment(local_aws: localenv.LocalState, runner) -> None:
    runner.close()
    env = dict(localenv.aws_env(local_aws), AWS_PAGER="")
    assert runner.run(["--version"], env=env).returncode == 0
    (first,) = runner.zygote_pids()
    # a variable no import reads (pytest sets one per test): same zygote
    assert runner.run(["--version"], env=dict(env, PYTEST_CURRENT_TEST="x")).returncode == 0
    assert runner.zygote_pids() == [first]
    # one the imports read (awscli reads AWS_DATA_PATH at import): a zygote started with it
    data = str(local_aws.endpoint).replace(":", "_").replace("/", "_")
    assert runner.run(["--version"], env=dict(env, AWS_DATA_PATH=f"/nonexistent/{data}")).returncode == 0
    pids = runner.zygote_pids()
    assert len(pids) == 2 and pids[0] == first
    runner.close()
    assert runner.zygote_pids() == []
    for pid in pids:
        assert not localenv.pid_alive(pid)


def test_zygote_ends_with_the_process_that_started_it(local_aws: localenv.LocalState, tmp_path) -> None:
    """No close(), no atexit (os._exit): the zygote sees its lifeline close and exits."""
    _awscli.require()
    script = tmp_path / "orphan.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests import _awscli
        cli = _awscli.AwsCli(preload=True)
        assert cli.run(["--version"]).returncode == 0
        print(cli.zygote_pids()[0], cli._zygotes[0].work_dir, flush=True)
        os._exit(0)
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env=dict(localenv.aws_env(local_aws), AWS_PAGER=""))
    assert proc.returncode == 0, proc.stderr
    pid_text, work_dir = proc.stdout.split()
    pid = int(pid_text)
    deadline = time.monotonic() + 10
    while localenv.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not localenv.pid_alive(pid), "the preloaded aws CLI outlived the test process"
    assert not Path(work_dir).exists(), "the zygote left its socket folder behind"
