"""The Terraform driver: the ONLY place in lakegate that runs the ``terraform`` binary.

Why a working copy
    Every command runs in a private copy of the user's Terraform directory,
    ``<work_dir>/<target>/`` (default ``work_dir``: ``<tf_dir>/../.lakegate/terraform/<tf_dir name>/``,
    or ``$XDG_CACHE_HOME/lakegate/terraform/<name>-<hash>/`` when that parent is not writable).
    The copy holds the ``*.tf`` files, tfvars, the lock file and every sub-folder (e.g.
    ``glue_jobs/``, so ``filemd5("${path.module}/glue_jobs/x.py")`` keeps working), plus our
    provider override file ``lakegate_override.tf``, ``.terraform/`` and the state of that target.
    So:

    * the user's directory is never written to (no ``.terraform/``, no override file left behind
      after a crash, no lock-file churn);
    * the ``offline``, ``local`` and ``aws`` targets can run at the same time (different copies,
      different ``.terraform/`` and different state), and two runs of the same target are
      serialised by a file lock;
    * the ``offline``/``local`` state is always a local file in the copy (the override file
      replaces any backend of the config), stable across calls (``apply`` → ``outputs`` →
      ``destroy`` see the same state) and never mixed with real state.

    The alternative (``TF_DATA_DIR`` plus an override file written into the user's directory and
    removed afterwards) cannot run two targets concurrently, because both would write the same
    override file, and leaves the file behind when the process is killed.

    Limitation: local module sources or file references that leave the directory
    (``source = "../modules/x"``) do not resolve in the copy; terraform's error says which.

Why tftest, and why not for everything
    Command-line arguments (``-var k=v`` with JSON-encoded lists/maps, ``-no-color``,
    ``-input=false``, ``-auto-approve``) are built by the maintained ``tftest`` wrapper
    (:func:`tftest.parse_args`). The binary itself is run here (:func:`_run_group`: its own
    process group, an interrupt passed on as SIGINT so its provider plugins never outlive it):
    ``tftest.TerraformTest.execute_command`` reads stderr only after stdout closes (a run with
    more than a pipe buffer of diagnostics would hang), has no timeout, and logs the full raw
    error at CRITICAL level, which would print terraform's output a second time. Its
    ``setup()`` also deletes ``.terraform`` and the state when the object is garbage-collected,
    which would break ``apply`` → ``outputs`` → ``destroy`` across driver instances.
    python-terraform 0.10.1 is not used: it is abandoned and its defaults (``destroy -force``, the
    configuration directory as a positional argument) are rejected by Terraform >= 0.15.

Targets
    ``offline``: fake credentials, no network, ``skip_requesting_account_id`` (plans only; a data
    source that calls AWS fails with terraform's own error). ``local``: every AWS service is sent
    to ``endpoint`` through the SDK's ``AWS_ENDPOINT_URL`` in terraform's environment (not an
    ``endpoints`` block: see :data:`LOCAL_SERVICES`), fake credentials ``test/test``, path-style
    S3; the account id *is* looked up (at the endpoint). ``aws``: no override of
    the provider; the user's credentials/profile and backend. The configuration's own ``region``
    is never overridden (it often comes from ``var.region``, which also builds names and ARNs);
    the driver's ``region`` is the ``AWS_REGION`` fallback for a provider block without one.
    When the config declares no backend, the ``aws`` state file is the user's own
    ``<tf_dir>/terraform.tfstate`` (where a plain ``terraform apply`` would have kept it).
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import tftest

from lakegate.errors import LakegateError
from lakegate.tfenv import MirrorChoice, find_mirror, terraform_env

log = logging.getLogger("lakegate.terraform")

TERRAFORM_ENV = "LAKEGATE_TERRAFORM"
TIMEOUT_ENV = "LAKEGATE_TF_TIMEOUT"
DEFAULT_TIMEOUT_S = 3600.0
MIN_VERSION = (1, 5)
TARGETS = ("offline", "local", "aws")
OVERRIDE_FILE = "lakegate_override.tf"
PLAN_FILE = "lakegate.tfplan"
KEPT_PLAN_FILE = "lakegate-kept.tfplan"   # plan(keep_plan_file=True) -> apply_plan()
INIT_STAMP = "lakegate-init.sha256"  # inside the copy's .terraform/
LOCK_FILE = ".terraform.lock.hcl"
INIT_TEMPLATES_ENV = "LAKEGATE_INIT_TEMPLATES"   # "off": every fresh working copy runs terraform init

# How the local target reaches the local AWS: ``AWS_ENDPOINT_URL`` (the AWS SDKs' global endpoint
# setting, read by hashicorp/aws 5.x through aws-sdk-go-v2) in terraform's environment sends
# *every* service there, and the provider block gets no ``endpoints`` block. Why not the block
# (what tflocal writes): with an ``endpoints`` block the provider's plugin-framework half spends
# ~2.5-3 s of CPU validating the provider configuration, in every provider start that configures
# it, whatever the number of entries -- a one-bucket `terraform plan` took 9.3-10.3 CPU-s with the
# block and 3.5 without it (bench/bench_endpoints.py, bench/RESULTS.md "Session 7").
# The block is still written, with these keys (hashicorp/aws 5.x canonical names), when the
# user's own provider block has an ``endpoints`` block (e.g. one written for LocalStack): an
# override file replaces a nested block only by one of the same type, and the user's
# service-specific endpoints would otherwise win over ``AWS_ENDPOINT_URL``.
LOCAL_SERVICES: tuple[str, ...] = (
    "s3", "glue", "iam", "sts", "athena", "logs", "cloudwatch", "kms", "lambda", "events",
    "sqs", "sns", "dynamodb", "secretsmanager", "ssm", "ec2", "sfn", "firehose", "kinesis",
    "cloudformation",
)
FAKE_ACCESS_KEY = "test"
FAKE_SECRET_KEY = "test"

# Entries of the user's directory never copied into the working copy (plus every hidden folder:
# .terraform, .git, .venv, .lakegate, ...).
_SKIP_DIRS = {"terraform.tfstate.d", "__pycache__", "node_modules"}
# A Terraform root module is small; more than this means the wrong folder was passed.
MAX_COPY_FILES = 5000
MAX_COPY_BYTES = 200 * 1024 * 1024
_SKIP_FILE_RE = re.compile(r"(\.tfstate(\..*)?$|\.tfplan$|^\.terraform\.tfstate\.lock\.info$|"
                           rf"^{re.escape(OVERRIDE_FILE)}$)")
# Entries of the working copy that belong to the copy and survive a re-sync.
_KEEP_IN_COPY = {".terraform", "terraform.tfstate", "terraform.tfstate.backup", "terraform.tfstate.d",
                 ".terraform.lock.hcl", PLAN_FILE, KEPT_PLAN_FILE, ".terraform.tfstate.lock.info"}

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_BOX_RE = re.compile(r"^[\s│╷╵]+")
_ON_LINE_RE = re.compile(r"on (\S+) line (\d+)")

_version_cache: dict[str, tuple[int, ...]] = {}


def find_terraform(environ: dict[str, str] | None = None) -> Path:
    """The terraform binary: ``$LAKEGATE_TERRAFORM`` if set, else ``terraform`` on PATH."""
    env = os.environ if environ is None else environ
    fix = (f"install terraform >= {MIN_VERSION[0]}.{MIN_VERSION[1]} "
           "(https://developer.hashicorp.com/terraform/install) and put it on PATH, "
           f"or set {TERRAFORM_ENV}=/path/to/terraform")
    explicit = env.get(TERRAFORM_ENV, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise LakegateError(f"the terraform binary {path} does not exist or is not executable",
                                where=f"${TERRAFORM_ENV}", fix=fix)
        return path
    found = shutil.which("terraform", path=env.get("PATH", os.defpath))
    if not found:
        raise LakegateError("terraform is not installed (not found on PATH)", where="PATH", fix=fix)
    return Path(found)


def _check_version(binary: Path, env: dict[str, str]) -> tuple[int, ...]:
    """Refuse terraform older than :data:`MIN_VERSION` (the plan JSON and flags we use)."""
    key = str(binary)
    if key not in _version_cache:
        try:
            proc = subprocess.run([key, "version", "-json"], capture_output=True, text=True,
                                  env=env, timeout=60, check=False)
            version = json.loads(proc.stdout)["terraform_version"]
            _version_cache[key] = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as err:
            raise LakegateError(f"cannot run '{key} version -json': {err}", where=key,
                                fix=f"install terraform >= {MIN_VERSION[0]}.{MIN_VERSION[1]} "
                                f"or point {TERRAFORM_ENV} at a working binary") from None
    found = _version_cache[key]
    if found[:2] < MIN_VERSION:
        raise LakegateError(
            f"terraform {'.'.join(map(str, found))} is too old (lakegate needs >= "
            f"{MIN_VERSION[0]}.{MIN_VERSION[1]})", where=key,
            fix=f"install terraform >= {MIN_VERSION[0]}.{MIN_VERSION[1]} or set {TERRAFORM_ENV}")
    return found


def clean_error_lines(text: str, limit: int = 12) -> list[str]:
    """The first meaningful lines of terraform's error output (no ANSI, no box drawing).

    Starts at the first ``Error:`` line when there is one (warnings before it are noise), drops
    blank lines and keeps at most ``limit`` lines.
    """
    lines = [_BOX_RE.sub("", _ANSI_RE.sub("", ln)).rstrip() for ln in text.splitlines()]
    starts = [i for i, ln in enumerate(lines) if ln.startswith("Error")]
    start = starts[0] if starts else 0
    if len(starts) > 1 and "encountered problems during initiali" in lines[start]:
        start = starts[1]  # init's generic preamble; the real diagnostic follows
    meaningful = [ln for ln in lines[start:] if ln.strip()]
    return meaningful[:limit]


def _quote(value: str) -> str:
    return json.dumps(value)  # HCL string literal (same escaping rules for our values)


def _unquote(value: object) -> str:
    return str(value).strip().strip('"')


def _provider_facts(tf_files: list[Path]) -> dict[str, Any]:
    """What the override needs from the ``provider "aws"`` blocks: their aliases (so the override
    covers every aws configuration) and whether any has its own ``endpoints`` block, static or
    ``dynamic`` (then the local override must replace it: :data:`LOCAL_SERVICES`).

    A file python-hcl2 cannot parse is skipped: terraform reports the syntax error itself.
    """
    import hcl2

    aliases: list[str] = []
    endpoints = False
    for path in tf_files:
        try:
            doc = hcl2.loads(path.read_text(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - terraform gives the real diagnostic later
            continue
        for block in doc.get("provider", []):
            for name, body in block.items():
                if _unquote(name) != "aws" or not isinstance(body, dict):
                    continue
                if "alias" in body:
                    alias = _unquote(body["alias"])
                    if alias not in aliases:
                        aliases.append(alias)
                dynamic = [_unquote(label) for item in body.get("dynamic") or []
                           if isinstance(item, dict) for label in item]
                endpoints = endpoints or "endpoints" in body or "endpoints" in dynamic
    return {"aliases": aliases, "endpoints": endpoints}


_BACKEND_RE = re.compile(r"^\s*(backend\s+\"[^\"]+\"|cloud)\s*\{", re.MULTILINE)


def declares_backend(tf_files: list[Path]) -> bool:
    """True when the configuration has a ``backend "..."`` or ``cloud`` block."""
    return any(_BACKEND_RE.search(p.read_text(encoding="utf-8", errors="replace")) for p in tf_files)


def override_text(target: str, *, endpoint: str | None = None,
                  aliases: tuple[str, ...] | list[str] = (), state_path: str | None = None,
                  endpoints_block: bool = False) -> str:
    """The ``lakegate_override.tf`` for ``target`` ('' when nothing is overridden).

    ``state_path``: when given, a ``backend "local"`` with that path replaces the config's backend.
    ``endpoints_block`` (local target): also write an ``endpoints`` block pointing
    :data:`LOCAL_SERVICES` at ``endpoint``, to replace the configuration's own; without it the
    endpoint reaches terraform as ``AWS_ENDPOINT_URL`` (:func:`local_endpoint_env`).
    The region is deliberately *not* overridden: the configuration's own ``region`` (often
    ``var.region``, which also feeds names and ARNs) must stay consistent with the provider; the
    driver's ``region`` is only the ``AWS_REGION`` fallback for configurations that set none.
    """
    parts: list[str] = []
    if state_path is not None:
        parts.append("terraform {\n  backend \"local\" {\n"
                     f"    path = {_quote(state_path)}\n  }}\n}}\n")
    if target == "aws":
        return "".join(parts)
    if target == "local" and not endpoint:
        raise LakegateError("the local target needs an endpoint", where="TerraformDriver(endpoint=)",
                            fix="run `lakegate local up` or pass --endpoint URL")
    for alias in [None, *aliases]:
        lines = ["provider \"aws\" {"]
        if alias:
            lines.append(f"  alias                       = {_quote(alias)}")
        lines += [
            f"  access_key                  = {_quote(FAKE_ACCESS_KEY)}",
            f"  secret_key                  = {_quote(FAKE_SECRET_KEY)}",
            "  skip_credentials_validation = true",
            "  skip_metadata_api_check     = true",
            "  skip_region_validation      = true",
            # the user's profile and shared files are for their real account; with the fake keys
            # and an empty shared config (local_endpoint_env) a named profile would only fail the
            # configuration ("failed to get shared config profile"), as it did on any machine
            # without that profile (a CI runner) before
            "  profile                     = null",
            "  shared_config_files         = null",
            "  shared_credentials_files    = null",
        ]
        if target == "offline":
            lines.append("  skip_requesting_account_id  = true")
        else:  # local: the account id is looked up through the local STS
            lines.append("  s3_use_path_style           = true")
            if endpoints_block:
                lines.append("  endpoints {")
                width = max(len(s) for s in LOCAL_SERVICES)
                lines += [f"    {svc.ljust(width)} = {_quote(endpoint or '')}" for svc in LOCAL_SERVICES]
                lines.append("  }")
        lines.append("}")
        parts.append("\n".join(lines) + "\n")
    return "# Written by lakegate for the '%s' target; lives only in lakegate's working copy.\n" % target + \
        "\n".join(parts)


def local_endpoint_env(endpoint: str | None, env: dict[str, str]) -> dict[str, str]:
    """Changes to ``env`` (in place, and returned) so that terraform's AWS provider sends every
    request to ``endpoint`` (the local target) or, with ``endpoint=None`` (offline), nowhere the
    user's machine configures: ``AWS_ENDPOINT_URL`` is the endpoint (or removed); the
    service-specific ``AWS_ENDPOINT_URL_<SERVICE>`` and ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``
    are removed (they would win over, or switch off, the global one); and the shared config and
    credentials files are empty (``os.devnull``), since a profile's ``endpoint_url`` or
    ``services`` section would win over the environment too. Why the environment and not an
    ``endpoints`` block: :data:`LOCAL_SERVICES`."""
    for key in [k for k in env if k.startswith("AWS_ENDPOINT_URL")]:
        del env[key]
    env.pop("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", None)
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


# Data sources that call AWS at plan time and that no offline provider setting can answer
# (``skip_requesting_account_id`` stops the provider's own STS call, not the data source's).
_OFFLINE_DEFERRED = ("aws_caller_identity",)
_DATA_BLOCK_RE = re.compile(
    rb'^([ \t]*)data[ \t]+"(' + b"|".join(t.encode() for t in _OFFLINE_DEFERRED) + rb')"[ \t]+"([A-Za-z0-9_-]+)"[ \t]*\{',
    re.MULTILINE)


def defer_offline_data_sources(text: bytes) -> bytes:
    """The offline copy of a ``.tf`` file in which ``data "aws_caller_identity"`` is read at apply.

    Why: offline planning has no STS, and Terraform reads data sources during plan, so any
    configuration declaring ``data "aws_caller_identity"`` failed to plan (exit 2). Terraform
    defers a data source whose ``depends_on`` names a resource with pending changes; override
    files may not set ``depends_on``, so the working copy (never the user's file) gets one, on a
    built-in ``terraform_data`` resource that needs no provider. The plan then shows
    ``account_id`` as unknown -- the gate takes the account from ``--account-id`` /
    ``[gate] account_id`` or keeps it symbolic. A block that already has ``depends_on`` is left
    as is (terraform's own error then names it).
    """
    if b"data" not in text:
        return text
    out = bytearray()
    pos = 0
    extra: list[bytes] = []
    for m in _DATA_BLOCK_RE.finditer(text):
        end = _block_end(text, m.end() - 1)
        if end is None or re.search(rb"\bdepends_on\b", text[m.end():end]):
            continue
        name = m.group(3)
        defer = b"lakegate_offline_defer_" + name.replace(b"-", b"_")
        out += text[pos:m.end()] + b"\n  depends_on = [terraform_data." + defer + b"]\n"
        pos = m.end()
        extra.append(b'resource "terraform_data" "' + defer + b'" {}\n')
    if not extra:
        return text
    out += text[pos:]
    return bytes(out) + b"\n# added by lakegate (offline plan): read the data sources above at apply\n" + \
        b"".join(extra)


_AWS_PROVIDER_RE = re.compile(rb'^[ \t]*provider[ \t]+(?:"aws"|aws)[ \t]*\{', re.MULTILINE)
_ROLE_BLOCK_RE = re.compile(
    rb'^([ \t]*)(assume_role_with_web_identity|assume_role|dynamic[ \t]+"assume_role(?:_with_web_identity)?")[ \t]*\{',
    re.MULTILINE)


def drop_provider_role_assumption(text: bytes) -> bytes:
    """The offline/local copy of a ``.tf`` file whose ``provider "aws"`` blocks assume no role.

    Why: a provider block with ``assume_role`` (common where Terraform deploys into several
    accounts) makes the provider call STS AssumeRole while it is configured: offline there is no
    STS, so the plan failed ("Cannot assume IAM Role"), and against the local AWS the role's
    credentials belong to the role's account, so the resources were created in an account
    lakegate's own clients (the local AWS's default account) never look at. With the fake
    credentials of these targets there is one account and nothing to assume. Override files can
    only replace such a block, not remove it (an empty one is "Missing required argument"), so the
    working copy (never the user's file) leaves it out, with a comment where it was."""
    if b"assume_role" not in text:
        return text
    out = bytearray()
    pos = 0
    for m in _AWS_PROVIDER_RE.finditer(text):
        end = _block_end(text, m.end() - 1)
        if end is None or m.start() < pos:
            continue
        body = text[m.end():end]
        kept = bytearray()
        bpos = 0
        for b in _ROLE_BLOCK_RE.finditer(body):
            if b.start() < bpos:
                continue
            bend = _block_end(body, b.end() - 1)
            if bend is None:
                continue
            kept += (body[bpos:b.start()] + b.group(1) + b"# " + b.group(2)
                     + b" {...} left out by lakegate: fake credentials, one local account")
            bpos = bend + 1
        out += text[pos:m.end()] + bytes(kept) + body[bpos:] + b"}"
        pos = end + 1
    out += text[pos:]
    return bytes(out)


def _block_end(text: bytes, brace: int) -> int | None:
    """Index of the ``}`` closing the ``{`` at ``brace`` (strings and comments skipped roughly)."""
    depth = 0
    i = brace
    in_str = False
    while i < len(text):
        c = text[i:i + 1]
        if in_str:
            if c == b"\\":
                i += 2
                continue
            if c == b'"':
                in_str = False
        elif c == b'"':
            in_str = True
        elif c == b"#" or text[i:i + 2] == b"//":
            nl = text.find(b"\n", i)
            i = len(text) if nl < 0 else nl
            continue
        elif c == b"{":
            depth += 1
        elif c == b"}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _default_work_dir(tf_dir: Path) -> Path:
    parent = tf_dir.parent
    if os.access(parent, os.W_OK):
        return parent / ".lakegate" / "terraform" / tf_dir.name
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(tf_dir).encode()).hexdigest()[:10]
    return cache / "lakegate" / "terraform" / f"{tf_dir.name}-{digest}"


def _format_vars(variables: dict | None) -> list[str]:
    """``-var k=v`` arguments (bools as true/false, lists/maps as JSON) via tftest."""
    if not variables:
        return []
    norm: dict[str, object] = {}
    for key, value in variables.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(key)):
            raise LakegateError(f"invalid Terraform variable name {key!r}", where="variables",
                                fix="use NAME=VALUE with a variable name declared in the config")
        norm[str(key)] = json.dumps(value) if isinstance(value, bool) or value is None else value
    return tftest.parse_args(tf_vars=norm)


#: (what, digest of the *.tf files' paths and contents) -> parsed result; see TerraformDriver._override
_OVERRIDE_MEMO: dict[tuple[str, str], Any] = {}
_OVERRIDE_MEMO_LOCK = threading.Lock()   # two drivers in two threads parse once, not twice
PARSE_CACHE_ENV = "LAKEGATE_PARSE_CACHE"  # folder of parsed-override results; "off" disables it


def _parse_cache_dir() -> Path | None:
    """Where the override's parse results outlive the process: ``$LAKEGATE_PARSE_CACHE``
    (``off``: nowhere), else ``$XDG_CACHE_HOME/lakegate/parsed`` (``~/.cache/...``)."""
    value = os.environ.get(PARSE_CACHE_ENV)
    if value is not None:
        value = value.strip()
        return None if not value or value.lower() in ("0", "off", "false", "no") else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lakegate" / "parsed"


def _parser_digest() -> str:
    """The code that turns *.tf files into the override's parts (this module, lakegate.teardown,
    python-hcl2's version): a change in any of them is a different disk-cache key."""
    from importlib import metadata

    from lakegate import teardown

    h = hashlib.sha256()
    for mod_file in (__file__, teardown.__file__):
        h.update(Path(mod_file).read_bytes())
    try:
        h.update(metadata.version("python-hcl2").encode())
    except metadata.PackageNotFoundError:
        h.update(b"no python-hcl2")
    return h.hexdigest()


def _memo_parsed(what: str, files: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per (what, files digest): in this process (dict) and across processes
    (a JSON file in :func:`_parse_cache_dir`, keyed by the digest of the files' paths and
    contents and of the parsing code). Parsing terraform/ with python-hcl2 is ~1.7 s CPU (5 s at
    load 8) per process, and every `lakegate smoke` / `deploy` is a new process. An unreadable
    or unwritable cache folder only means parsing again."""
    with _OVERRIDE_MEMO_LOCK:
        if (what, files) in _OVERRIDE_MEMO:
            return _OVERRIDE_MEMO[(what, files)]
        folder = _parse_cache_dir()
        path = None
        if folder is not None:
            key = hashlib.sha256(f"{what}\0{files}\0{_parser_digest()}".encode()).hexdigest()[:40]
            path = folder / f"{what}-{key}.json"
            try:
                _OVERRIDE_MEMO[(what, files)] = json.loads(path.read_text(encoding="utf-8"))["value"]
                return _OVERRIDE_MEMO[(what, files)]
            except (OSError, ValueError, KeyError, TypeError):
                pass
        value = compute()
        _OVERRIDE_MEMO[(what, files)] = value
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"value": value}, handle)
                os.replace(tmp, path)
                _prune_parse_cache(path.parent)
            except OSError:
                pass
        return value


PARSE_CACHE_KEEP = 256


def _prune_parse_cache(folder: Path, keep: int = PARSE_CACHE_KEEP) -> None:
    """Keep the newest ``keep`` entries (each test's throw-away directory is a new key)."""
    entries = [e for e in os.scandir(folder) if e.name.endswith(".json") and not e.name.startswith(".")]
    if len(entries) <= keep:
        return
    entries.sort(key=lambda e: e.stat().st_mtime, reverse=True)
    for old in entries[keep // 2:]:
        try:
            os.unlink(old.path)
        except OSError:
            pass


#: seconds terraform gets to stop after an interrupt (it saves its state and stops its provider
#: plugins) before it and everything in its process group are killed
STOP_GRACE_ENV = "LAKEGATE_TF_STOP_GRACE"
DEFAULT_STOP_GRACE_S = 20.0
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


def _run_group(cmd: list[str], *, cwd: Path, env: dict[str, str],
               timeout: float) -> subprocess.CompletedProcess:
    """Run terraform in a process group of its own, so that nothing it starts outlives it.

    Terraform starts its provider plugins as child processes, and go-plugin providers ignore
    SIGINT: they stop when terraform tells them to. ``subprocess.run`` answers a Ctrl-C or a
    timeout by SIGKILLing terraform alone, which left its ``terraform-provider-aws`` running
    (found in session 5: still there 16 minutes later). Here an interrupt or a timeout is passed
    on to terraform as SIGINT (what a terminal's Ctrl-C would give it: it stops its plugins and
    saves its state), and whatever of its group is still there after the grace period
    (``LAKEGATE_TF_STOP_GRACE``), or at a second interrupt, is SIGKILLed. A terraform started by a
    background thread is stopped the same way when the process exits (``atexit``).
    """
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace", start_new_session=True)
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:           # TimeoutExpired, KeyboardInterrupt, SystemExit, ...
        _stop_group(proc)
        raise
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            grace = float(os.environ.get(STOP_GRACE_ENV) or DEFAULT_STOP_GRACE_S)
        except ValueError:
            grace = DEFAULT_STOP_GRACE_S
        _signal_group(proc.pid, signal.SIGINT)
        # wait(), not communicate(): at exit a daemon thread may still be reading this process's
        # pipes; what terraform prints while it stops fits in the pipe buffer
        try:
            proc.wait(timeout=max(grace, 0.0))
        except BaseException:       # the grace ran out, or a second interrupt: no more waiting
            pass
    _signal_group(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except BaseException:
        pass


@atexit.register
def _stop_all() -> None:
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        _stop_group(proc)


class TerraformDriver:
    """init / plan / apply / outputs / show_state / destroy of one Terraform dir for one target."""

    def __init__(self, tf_dir: Path, *, target: str = "offline", endpoint: str | None = None,
                 region: str = "us-east-1", work_dir: Path | None = None,
                 variables: dict | None = None) -> None:
        if target not in TARGETS:
            raise LakegateError(f"unknown target {target!r}", where="--target",
                                fix=f"use one of: {', '.join(TARGETS)}")
        if target == "local" and not endpoint:
            raise LakegateError("the local target needs an endpoint URL", where="--target local",
                                fix="run `lakegate local up` or pass --endpoint URL")
        if target != "local" and endpoint:
            raise LakegateError(f"an endpoint only makes sense for the local target, not {target!r}",
                                where="--endpoint", fix="drop --endpoint or use --target local")
        if endpoint and not re.match(r"^https?://[^\s/]+", endpoint):
            raise LakegateError(f"endpoint {endpoint!r} is not an http(s) URL", where="--endpoint",
                                fix="pass a URL like http://127.0.0.1:4566")
        src = Path(tf_dir).expanduser()
        if not src.exists():
            raise LakegateError(f"Terraform directory {src} does not exist", where=str(src),
                                fix="pass the folder that holds your *.tf files")
        if not src.is_dir():
            raise LakegateError(f"{src} is not a directory", where=str(src),
                                fix="pass the folder that holds your *.tf files, not a file")
        self.tf_dir = src.resolve()
        self.tf_files = sorted(self.tf_dir.glob("*.tf")) + sorted(self.tf_dir.glob("*.tf.json"))
        self.tf_files = [p for p in self.tf_files if p.name != OVERRIDE_FILE]
        if not self.tf_files:
            raise LakegateError(f"{self.tf_dir} contains no Terraform files (*.tf)",
                                where=str(self.tf_dir),
                                fix="pass the root module folder (the one with main.tf/providers.tf)")
        self.target = target
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.region = region
        self.variables = dict(variables or {})
        self._var_args = _format_vars(self.variables)
        root = Path(work_dir).expanduser().resolve() if work_dir else _default_work_dir(self.tf_dir)
        self.work_root = root
        self.copy_dir = root / target
        self.binary = find_terraform()
        self.mirror: MirrorChoice = find_mirror()
        log.info("%s", self.mirror.describe())
        self._synced = False

    # ------------------------------------------------------------------ working copy
    def _override(self) -> str:
        """The override file's text (the parsed parts memoised per process and on disk,
        :func:`_memo_parsed`: finding provider aliases and the teardown blocks parses every file
        with python-hcl2, ~1.7 s for terraform/, and every init/plan/apply/output syncs the copy;
        the key is everything the text depends on)."""
        digest = hashlib.sha256()
        for path in self.tf_files:
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        files = digest.hexdigest()

        def memo(what: str, fn: Callable[[], Any]) -> Any:
            return _memo_parsed(what, files, fn)

        if self.target == "aws":
            state = None if declares_backend(self.tf_files) else str(self.tf_dir / "terraform.tfstate")
        else:
            state = "terraform.tfstate"
        providers = memo("providers", lambda: _provider_facts(self.tf_files))
        text = override_text(self.target, endpoint=self.endpoint, aliases=providers["aliases"],
                             state_path=state, endpoints_block=providers["endpoints"])
        if self.target == "local":  # a throw-away stack: destroyable despite prevent_destroy
            from lakegate.teardown import teardown_override

            text += memo("teardown", lambda: teardown_override(self.tf_files))
        return text

    def _source_entries(self) -> list[Path]:
        entries: list[Path] = []
        total = 0
        skip_root = self.work_root
        # symlinked folders are followed (e.g. glue_jobs -> ../scripts); a loop hits the limit
        for dirpath, dirnames, filenames in os.walk(self.tf_dir, followlinks=True):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")
                                 and not _is_within(here / d, skip_root))
            for name in sorted(filenames):
                if not _SKIP_FILE_RE.search(name):
                    entries.append((here / name).relative_to(self.tf_dir))
                    total += (here / name).stat().st_size
            if len(entries) > MAX_COPY_FILES or total > MAX_COPY_BYTES:
                raise LakegateError(
                    f"{self.tf_dir} holds more than {MAX_COPY_FILES} files or "
                    f"{MAX_COPY_BYTES // 2**20} MiB outside hidden folders; lakegate copies the "
                    "Terraform directory for every run", where=str(self.tf_dir),
                    fix="pass the Terraform root module folder itself (not a repository root), "
                        "or move large data out of it")
        return entries

    def copy_bytes(self, rel: Path) -> bytes:
        """What the working copy holds for the source file ``rel``: the file, with the rewrites
        the target needs in ``.tf`` files (offline: :func:`defer_offline_data_sources`; offline
        and local: :func:`drop_provider_role_assumption`)."""
        data = (self.tf_dir / rel).read_bytes()
        if rel.suffix == ".tf" and self.target != "aws":
            data = drop_provider_role_assumption(data)
            if self.target == "offline":
                data = defer_offline_data_sources(data)
        return data

    def _sync(self) -> str:
        """Mirror the user's directory into the copy; return the init fingerprint."""
        copy = self.copy_dir
        copy.mkdir(parents=True, exist_ok=True)
        entries = self._source_entries()
        wanted = set(entries)
        # remove what no longer exists in the source (never .terraform/ or the state)
        for dirpath, dirnames, filenames in os.walk(copy, topdown=True):
            here = Path(dirpath)
            if here == copy:
                dirnames[:] = [d for d in dirnames if d not in _KEEP_IN_COPY]
            for name in filenames:
                rel = (here / name).relative_to(copy)
                if here == copy and name in _KEEP_IN_COPY:
                    continue
                if rel not in wanted and name != OVERRIDE_FILE:
                    (here / name).unlink()
        digest = hashlib.sha256()
        for rel in entries:
            data = self.copy_bytes(rel)
            dst = copy / rel
            if not dst.is_file() or dst.read_bytes() != data:
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(data)
            if rel.suffix in (".tf", ".json", ".hcl") or rel.name.endswith(".tf.json"):
                digest.update(str(rel).encode() + b"\0" + data + b"\0")
        override = copy / OVERRIDE_FILE
        text = self._override()
        if text:
            if not override.is_file() or override.read_text() != text:
                override.write_text(text)
        elif override.exists():
            override.unlink()
        # the endpoint only sits in the provider block, which init does not read (init installs
        # providers/modules and sets up the backend): a new local AWS port needs no new init
        digest.update((text.replace(self.endpoint, "<endpoint>") if self.endpoint else text).encode())
        digest.update(self.mirror.describe().encode())
        return digest.hexdigest()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.work_root.mkdir(parents=True, exist_ok=True)
        lock_path = self.work_root / f".{self.target}.lock"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ running terraform
    def _env(self) -> dict[str, str]:
        env = terraform_env(self.work_root, mirror=self.mirror)
        env.pop("TF_DATA_DIR", None)        # .terraform/ of the copy, not a shared one
        env.pop("TF_WORKSPACE", None)
        env.pop("TF_LOG", None)
        # Go's garbage collector at 400 % instead of 100 % for terraform and the ~675 MB provider:
        # plan + show of terraform/ 10.4 -> 8.0 s CPU, ~+40 MB peak (tests/conftest.py measured it);
        # a value the user set wins
        env.setdefault("GOGC", "400")
        if self.target != "aws":
            # no profile/SSO/IMDS lookups and no real credentials next to the fake ones
            for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                env.pop(key, None)
            env["AWS_EC2_METADATA_DISABLED"] = "true"
            env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.region
            local_endpoint_env(self.endpoint if self.target == "local" else None, env)
        else:
            env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION") or self.region)
        return env

    def _run(self, command: str, *args: str, stage: str, fix: str,
             ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        """Run ``terraform <command> <args>`` in the copy; LakegateError with terraform's words."""
        env = self._env()
        _check_version(self.binary, env)
        timeout = float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)
        cmd = [str(self.binary), command, *args]
        log.debug("running %s in %s", cmd, self.copy_dir)
        try:
            proc = _run_group(cmd, cwd=self.copy_dir, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LakegateError(f"terraform {command} did not finish within {timeout:.0f} s",
                                where=str(self.tf_dir),
                                fix=f"check the endpoint/network, or raise {TIMEOUT_ENV}") from None
        except OSError as err:
            raise LakegateError(f"cannot run terraform: {err}", where=str(self.binary),
                                fix=f"install terraform or set {TERRAFORM_ENV}") from None
        if proc.returncode not in ok_codes:
            raise self._error(stage, proc.stderr or proc.stdout, fix)
        return proc

    def _error(self, stage: str, output: str, fix: str) -> LakegateError:
        lines = clean_error_lines(output)
        where = str(self.tf_dir)
        for line in lines:
            match = _ON_LINE_RE.search(line)
            if match:
                where = f"{self.tf_dir / match.group(1)}:{match.group(2)}"
                break
        text = "\n         ".join(lines) if lines else "(terraform printed no error message)"
        if any("Unreadable module directory" in ln or "Module not installed" in ln for ln in lines):
            fix = ("local module sources outside the Terraform directory are not copied into "
                   "lakegate's working copy; move the module under the directory")
        return LakegateError(f"terraform {stage} failed ({self.target} target):\n         {text}",
                             where=where, fix=fix)

    # ------------------------------------------------------------------ public API
    def init(self) -> None:
        """``terraform init`` of the working copy, skipped when nothing init-relevant changed."""
        with self._locked():
            self._init_locked()

    def _init_locked(self) -> None:
        fingerprint = self._sync()
        stamp = self.copy_dir / ".terraform" / INIT_STAMP
        if stamp.is_file() and stamp.read_text() == fingerprint:
            log.debug("init skipped: configuration and lock file unchanged")
            return
        if self._init_from_template(fingerprint, stamp):
            log.debug("init copied from an earlier copy's init of the same configuration")
            return
        log.info("terraform init (%s target) in %s; %s", self.target, self.copy_dir,
                 self.mirror.describe())
        args = tftest.parse_args(input=False, color=False) + ["-reconfigure"]
        try:
            with _plugin_cache_lock():
                self._run("init", *args, stage="init",
                          fix="fix the configuration error above and re-run")
        except LakegateError as err:
            if re.search(r"provider|registry", err.what) and re.search(
                    r"Failed to (query|install)|Could not retrieve|does not match|no available releases",
                    err.what):
                err.fix = ("make the provider available offline: set LAKEGATE_TF_PROVIDER_MIRROR "
                           "to a filesystem mirror (the folder that holds registry.terraform.io/) "
                           "with the required version, or allow access to registry.terraform.io; "
                           + self.mirror.describe())
            raise
        # a config without providers/modules gets no .terraform/ from init
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fingerprint)
        self._save_init_template(fingerprint)

    # ------------------------------------------------------------------ init templates
    # A fresh working copy (the scenarios' world and the tests use throw-away ones) needed a
    # `terraform init` although an earlier copy of the very same configuration had done it: with
    # the shared provider cache (lakegate.tfenv.plugin_cache_dir) what init leaves is small --
    # .terraform/ with symlinks into that cache, modules.json and downloaded modules, the backend
    # record -- and the lock file. So after an init it is kept under the Terraform directory's
    # lakegate folder, keyed by the init fingerprint (every *.tf/*.json/*.hcl file and the
    # override without the endpoint, the provider source) and the terraform binary and version,
    # and a *fresh* copy with the same key gets a copy of it instead of an init. Not kept when
    # .terraform/ holds provider binaries (no plugin cache: copying ~700 MB is slower than init)
    # nor used when a symlink in it no longer resolves (a cleared plugin cache).
    _TEMPLATE_MAX_FILE = 1 << 20
    _TEMPLATE_KEEP = 8

    def _init_template_dir(self, fingerprint: str) -> Path:
        version = ".".join(map(str, _check_version(self.binary, self._env())))
        key = hashlib.sha256(f"{fingerprint}\0{self.binary}\0{version}".encode()).hexdigest()[:32]
        return _default_work_dir(self.tf_dir) / "init-templates" / f"{self.target}-{key}"

    def _init_from_template(self, fingerprint: str, stamp: Path) -> bool:
        dot = self.copy_dir / ".terraform"
        if dot.exists() or os.environ.get(INIT_TEMPLATES_ENV, "").strip().lower() in ("0", "off", "false", "no"):
            return False    # only a fresh copy: an existing .terraform/ is init's to update
        try:
            template = self._init_template_dir(fingerprint)
            if not (template / ".terraform" / INIT_STAMP).is_file() or \
                    (template / ".terraform" / INIT_STAMP).read_text() != fingerprint:
                return False
            for path in (template / ".terraform").rglob("*"):
                if path.is_symlink() and not path.exists():
                    return False    # e.g. the plugin cache was cleared: init again
            tmp = self.copy_dir / f".terraform.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(template / ".terraform", tmp, symlinks=True)
            lock = template / LOCK_FILE
            if lock.is_file() and not (self.copy_dir / LOCK_FILE).exists():
                shutil.copyfile(lock, self.copy_dir / LOCK_FILE)
            tmp.rename(dot)
        except OSError as err:
            log.debug("init template not used: %s", err)
            shutil.rmtree(self.copy_dir / f".terraform.{os.getpid()}.tmp", ignore_errors=True)
            return False
        return stamp.is_file() and stamp.read_text() == fingerprint

    def _save_init_template(self, fingerprint: str) -> None:
        dot = self.copy_dir / ".terraform"
        try:
            template = self._init_template_dir(fingerprint)
            if template.is_dir() or not dot.is_dir():
                return
            for path in dot.rglob("*"):
                if path.is_file() and not path.is_symlink() and path.stat().st_size > self._TEMPLATE_MAX_FILE:
                    return      # provider binaries in the copy (no plugin cache): not worth keeping
            template.parent.mkdir(parents=True, exist_ok=True)
            tmp = template.parent / f".{template.name}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(dot, tmp / ".terraform", symlinks=True)
            if (self.copy_dir / LOCK_FILE).is_file():
                shutil.copyfile(self.copy_dir / LOCK_FILE, tmp / LOCK_FILE)
            try:
                tmp.rename(template)     # atomic: a reader sees a complete template or none
            except OSError:              # saved meanwhile by another run
                shutil.rmtree(tmp, ignore_errors=True)
            entries = sorted((p for p in template.parent.iterdir() if not p.name.startswith(".")),
                             key=lambda p: p.stat().st_mtime, reverse=True)
            for old in entries[self._TEMPLATE_KEEP:]:
                shutil.rmtree(old, ignore_errors=True)
        except OSError as err:
            log.debug("init template not saved: %s", err)

    def plan(self, out_json: Path | None = None, *, keep_plan_file: bool = False) -> dict:
        """``plan -out`` + ``show -json``; the plan JSON (also written to ``out_json``).

        ``keep_plan_file=True`` keeps the binary plan in the working copy so that
        :meth:`apply_plan` applies exactly the plan this JSON describes (no second refresh and
        plan); terraform itself refuses it once the state changed meanwhile. A later
        ``plan(keep_plan_file=True)`` replaces it."""
        with self._locked():
            self._init_locked()
            plan_file = self.copy_dir / PLAN_FILE
            plan_file.unlink(missing_ok=True)
            kept = self.copy_dir / KEPT_PLAN_FILE
            if keep_plan_file:
                kept.unlink(missing_ok=True)
            args = tftest.parse_args(input=False, color=False) + self._var_args + [f"-out={PLAN_FILE}"]
            try:
                self._run("plan", *args, stage="plan",
                          fix="fix the configuration or the -var values named above and re-run")
                shown = self._run("show", "-json", "-no-color", PLAN_FILE, stage="show",
                                  fix="re-run; if it persists, report the terraform version")
                if keep_plan_file:
                    try:
                        plan_file.rename(kept)
                    except OSError as err:
                        raise LakegateError(f"terraform plan left no plan file to keep: {err.strerror or err}",
                                            where=str(self.copy_dir),
                                            fix="re-run; if it persists, report the terraform version") from None
            finally:
                plan_file.unlink(missing_ok=True)
        try:
            plan = json.loads(shown.stdout)
        except json.JSONDecodeError as err:
            if keep_plan_file:
                kept.unlink(missing_ok=True)
            raise LakegateError(f"terraform show -json printed invalid JSON: {err}",
                                where=str(self.tf_dir), fix="re-run with a supported terraform") from None
        if out_json is not None:
            write_json(Path(out_json), plan)
        return plan

    def apply_plan(self) -> None:
        """``terraform apply`` of the plan file the last ``plan(keep_plan_file=True)`` of this
        working copy kept: exactly the changes that plan's JSON showed, without planning again.
        The plan file is used up (removed) whether the apply succeeds or not."""
        with self._locked():
            kept = self.copy_dir / KEPT_PLAN_FILE
            if not kept.is_file():
                raise LakegateError(f"no kept plan to apply in {self.copy_dir}",
                                    where=str(self.tf_dir),
                                    fix="call plan(keep_plan_file=True) first, then apply_plan()")
            fix = "fix the error above (configuration, permissions or endpoint) and re-run"
            if self.target == "local":
                fix = (f"check that the local AWS at {self.endpoint} is running "
                       "(`lakegate local up`) and supports these resources; " + fix)
            try:
                self._run("apply", *tftest.parse_args(input=False, color=False), KEPT_PLAN_FILE,
                          stage="apply", fix=fix)
            finally:
                kept.unlink(missing_ok=True)

    def apply(self) -> None:
        """``terraform apply -auto-approve`` against this target's state."""
        with self._locked():
            self._init_locked()
            args = tftest.parse_args(input=False, color=False, auto_approve=True) + self._var_args
            fix = "fix the error above (configuration, permissions or endpoint) and re-run"
            if self.target == "local":
                fix = (f"check that the local AWS at {self.endpoint} is running "
                       "(`lakegate local up`) and supports these resources; " + fix)
            self._run("apply", *args, stage="apply", fix=fix)

    def apply_planned(self, *, refresh: bool = True, apply: bool = True) -> bool:
        """``terraform plan -detailed-exitcode -out`` and, only when it plans a change, ``terraform
        apply`` of exactly that plan file (the plan is made once; apply does not plan again).

        ``refresh=False`` plans against the state as recorded (``-refresh=false``): right only when
        the caller knows the remote objects are the ones that state was written from (the deploy
        cache restores both together). Returns True when a plan was applied, False when the plan
        was empty (nothing applied; terraform's state is left as it was). ``apply=False``: only
        the plan (no plan file); True then means the plan has changes, none of them applied."""
        with self._locked():
            self._init_locked()
            plan_file = self.copy_dir / PLAN_FILE
            plan_file.unlink(missing_ok=True)
            args = (tftest.parse_args(input=False, color=False, refresh=refresh) + self._var_args
                    + ["-detailed-exitcode"] + ([f"-out={PLAN_FILE}"] if apply else []))
            fix = "fix the error above (configuration, permissions or endpoint) and re-run"
            if self.target == "local":
                fix = (f"check that the local AWS at {self.endpoint} is running "
                       "(`lakegate local up`) and supports these resources; " + fix)
            try:
                proc = self._run("plan", *args, stage="plan", fix=fix, ok_codes=(0, 2))
                if proc.returncode == 0:      # -detailed-exitcode: 0 = no changes, 2 = changes
                    return False
                if not apply:
                    return True
                self._run("apply", *tftest.parse_args(input=False, color=False), PLAN_FILE,
                          stage="apply", fix=fix)
                return True
            finally:
                plan_file.unlink(missing_ok=True)

    def state_outputs(self) -> dict[str, object] | None:
        """The root module's outputs as recorded in this target's local state file (what
        ``terraform output -json`` prints from it), or None when there is no readable local state
        (a remote backend, no apply yet): then use :meth:`outputs`."""
        if self.target == "aws":
            return None
        try:
            doc = json.loads((self.copy_dir / "terraform.tfstate").read_text())
        except (OSError, ValueError):
            return None
        outs = doc.get("outputs") if isinstance(doc, dict) else None
        if not isinstance(outs, dict):
            return None
        return {name: item.get("value") for name, item in outs.items() if isinstance(item, dict)}

    def outputs(self) -> dict[str, object]:
        """``terraform output -json`` as ``{name: value}`` (empty before the first apply)."""
        with self._locked():
            self._init_locked()
            proc = self._run("output", *tftest.parse_args(color=False, json_format=True),
                             stage="output", fix="run apply first")
        try:
            raw = json.loads(proc.stdout or "{}")
        except json.JSONDecodeError as err:
            raise LakegateError(f"terraform output -json printed invalid JSON: {err}",
                                where=str(self.tf_dir), fix="re-run") from None
        return {name: item.get("value") for name, item in raw.items()}

    def show_state(self, *, lock: bool = True) -> dict:
        """``terraform show -json`` of this target's state.

        ``lock=False``: neither the working copy's lock nor an init check, so it can run while
        another command of this driver (a plan) holds the lock; only for a caller that has run
        :meth:`init` and knows nothing syncs the copy meanwhile (``show`` only reads)."""
        if not lock:
            proc = self._run("show", "-json", "-no-color", stage="show", fix="run apply first")
        else:
            with self._locked():
                self._init_locked()
                proc = self._run("show", "-json", "-no-color", stage="show", fix="run apply first")
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as err:
            raise LakegateError(f"terraform show -json printed invalid JSON: {err}",
                                where=str(self.tf_dir), fix="re-run") from None

    def destroy(self, *, refresh: bool = True) -> None:
        """``terraform destroy -auto-approve`` of this target's state.

        ``refresh=False`` (``-refresh=false``): destroy what the state records without reading
        every object first; for throw-away stacks whose state the caller knows is current (e.g. a
        refreshed plan of it just came back empty)."""
        with self._locked():
            self._init_locked()
            args = (tftest.parse_args(input=False, color=False, auto_approve=True, refresh=refresh)
                    + self._var_args)
            self._run("destroy", *args, stage="destroy",
                      fix="fix the error above and re-run destroy; the state is kept in "
                      f"{self.copy_dir}")


@contextmanager
def _plugin_cache_lock() -> Iterator[None]:
    """Serialise ``terraform init`` across processes sharing the provider cache
    (:func:`lakegate.tfenv.plugin_cache_dir`): Terraform does not guard concurrent installs of
    the same provider into it. With the provider already cached an init takes a second or two."""
    from lakegate.tfenv import plugin_cache_dir

    cache = plugin_cache_dir()
    if cache is None or not cache.is_dir():
        yield
        return
    with open(cache / ".lakegate-init.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent)
        return True
    except ValueError:
        return False


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically (temp file + rename) so a reader never sees half a plan."""
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data, indent=1) + "\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise LakegateError(f"cannot write {path}: {err.strerror or err}", where=str(path),
                            fix="choose a writable --out path") from None


def summarize_plan(plan: dict) -> dict[str, int]:
    """Counts like terraform's 'Plan: X to add, Y to change, Z to destroy' (replace = add + destroy)."""
    counts = {"add": 0, "change": 0, "destroy": 0}
    for change in plan.get("resource_changes") or []:
        actions = (change.get("change") or {}).get("actions") or []
        if "create" in actions:
            counts["add"] += 1
        if "delete" in actions:
            counts["destroy"] += 1
        if "update" in actions:
            counts["change"] += 1
    return counts
