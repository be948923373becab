"""Deploy and rehearsal vs a bare ``terraform apply`` into plain moto, in one run.

Baseline: ``moto_server`` (the moto of this venv, 5.2.5) on a free port, and a bare
``terraform apply -auto-approve`` of ``terraform/`` into it, in a private copy with lakegate's
provider override for the local target pointed at that moto (``terraform init`` from the same
provider mirror is done before and timed separately; the baseline is the apply alone).

Measured in the same run, each on a fresh ``lakegate local up``:
1. ``lakegate deploy --target local`` into a pristine local AWS with an EMPTY deploy cache
   (``LAKEGATE_DEPLOY_CACHE`` = a new folder): a full apply from nothing, then saved;
2. ``lakegate deploy --target local`` again into a new pristine local AWS: the cache's state is
   restored with the Terraform state saved with it, then ``terraform plan -refresh=false
   -detailed-exitcode -out`` and, only when that plan is not empty, ``terraform apply`` of it;
3. ``lakegate smoke --env local`` (the rehearsal: its scenarios bring up their own local AWS,
   deploy, seed, run the 27 scenarios, write the reports, stop it) with the same cache.

Each CLI run is a subprocess (process start included). ``uptime`` before and after, and the CPU
seconds of terraform + provider children where they can be attributed, are printed with the
figures: the machine is shared, so the ratios are the result, not the seconds.

With ``--one-world-too``, a 4th run: the same smoke with ``LAKEGATE_SMOKE_WORLDS=1`` (every
scenario in one world, one after the other, as before session 5), right after the default one
and against the same bare apply. (Since session 7 the entry holds the state's ``show -json``
from the miss that wrote it, and the 2nd deploy's empty verification plan marks it verified, so
the default smoke's first world starts its scenarios beside its own verification plan; the
one-world run verifies before its scenarios, as every one-world run does.)

Usage: ``.venv/bin/python bench/bench_deploy.py [--skip-smoke] [--one-world-too] [--record]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lakegate.terraform import TerraformDriver  # noqa: E402

START, END = "<!-- deploy-bench:start -->", "<!-- deploy-bench:end -->"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@contextmanager
def plain_moto() -> Iterator[str]:
    """A plain ``moto_server`` (the moto of this venv) on a free port: its URL, stopped after."""
    port = _free_port()
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc = subprocess.Popen([moto, "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def bare_moto_apply(tmp: Path) -> dict:
    with plain_moto() as url:
        driver = TerraformDriver(ROOT / "terraform", target="local", endpoint=url, work_dir=tmp / "bare")
        t0 = time.perf_counter()
        driver.init()
        init_s = time.perf_counter() - t0
        c0 = _children_cpu()
        t1 = time.perf_counter()
        driver.apply()
        return {"init": init_s, "apply": time.perf_counter() - t1, "apply_cpu": _children_cpu() - c0}


def lakegate(args: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lakegate", *args], env=env, cwd=cwd,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"lakegate {' '.join(args)} failed ({proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return wall, _children_cpu() - c0, proc.stdout


def deploy_on_fresh_local(tmp: Path, name: str, env: dict) -> tuple[float, float, str]:
    env = dict(env, LAKEGATE_LOCAL_STATE=str(tmp / name / "state.json"))
    lakegate(["local", "up"], env, ROOT)
    try:
        return lakegate(["deploy", "--target", "local", "--tf-dir", str(ROOT / "terraform")], env, ROOT)
    finally:
        subprocess.run([sys.executable, "-m", "lakegate", "local", "down"], env=env, cwd=ROOT,
                       capture_output=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-smoke", action="store_true")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--one-world-too", action="store_true",
                    help="also run the smoke with LAKEGATE_SMOKE_WORLDS=1 (one world), after the default one")
    args = ap.parse_args(argv)
    up0 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as t:
        tmp = Path(t)
        bare = bare_moto_apply(tmp)
        env = dict(os.environ, CHECKPOINT_DISABLE="1", LAKEGATE_DEPLOY_CACHE=str(tmp / "cache"))
        miss = deploy_on_fresh_local(tmp, "miss", env)
        hit = deploy_on_fresh_local(tmp, "hit", env)
        rows.append(("`lakegate deploy --target local`, empty deploy cache (full apply, saved)", *miss))
        rows.append(("`lakegate deploy --target local`, same configuration again (restored + plan, applied if not empty)", *hit))
        if not args.skip_smoke:
            smoke_env = dict(env, LAKEGATE_LOCAL_STATE=str(tmp / "smoke" / "state.json"))
            sm = lakegate(["smoke", "--env", "local", "--report-dir", str(tmp / "reports")], smoke_env, ROOT)
            rows.append(("`lakegate smoke --env local` (rehearsal, same deploy cache)", *sm))
            if args.one_world_too:
                one_env = dict(smoke_env, LAKEGATE_SMOKE_WORLDS="1",
                               LAKEGATE_LOCAL_STATE=str(tmp / "smoke1" / "state.json"))
                sm1 = lakegate(["smoke", "--env", "local", "--report-dir", str(tmp / "reports1")], one_env, ROOT)
                rows.append(("`LAKEGATE_SMOKE_WORLDS=1 lakegate smoke --env local` (one world, the cache entry's "
                             "second hit)", *sm1))
    up1 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    base = bare["apply"]
    cmd = ".venv/bin/python bench/bench_deploy.py" + (" --skip-smoke" if args.skip_smoke else "") + \
        (" --one-world-too" if args.one_world_too else "") + (" --record" if args.record else "")
    lines = [START, "## Deploy and rehearsal vs a bare `terraform apply` into plain moto", "",
             f"Command: `{cmd}`  ", f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC  ",
             f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}  ",
             f"`uptime` before: `{up0}`  ", f"`uptime` after: `{up1}`", "",
             f"Baseline: bare `terraform apply` of terraform/ into `moto_server` (moto of this venv) with "
             f"lakegate's local provider override: **{base:.1f} s** wall, {bare['apply_cpu']:.1f} s CPU "
             f"(terraform + provider); its `terraform init` {bare['init']:.1f} s is not counted.", "",
             "| run | wall | CPU s (children) | ratio to the bare apply | target |", "|---|---|---|---|---|"]
    targets = [0.25, 0.25, 0.5, 0.5]
    for (label, wall, cpu, _out), target in zip(rows, targets):
        lines.append(f"| {label} | {wall:.1f} s | {cpu:.1f} | {wall / base:.2f}x | <= {target}x: "
                     f"{'met' if wall / base <= target else 'MISSED'} |")
    lines += ["", "The lifecycle wait (about 55 s per fresh apply, in the bare apply and the first "
              "deploy alike) is the AWS provider's own fixed settle time, not a local AWS answer; "
              "see the deploy notes below.", END]
    text = "\n".join(lines)
    print(text)
    for label, _w, _c, out in rows:
        print(f"--- {label}\n{out[-600:]}")
    if args.record:
        res = ROOT / "bench" / "RESULTS.md"
        cur = res.read_text()
        if START in cur and END in cur:
            cur = cur[:cur.index(START)] + text + cur[cur.index(END) + len(END):]
        else:
            cur = cur.rstrip() + "\n\n" + text + "\n"
        res.write_text(cur)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
