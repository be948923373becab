"""checkov on the same plan, for generic hygiene (encryption, public access, logging), merged as
findings with ``source="checkov"`` - and failing closed where checkov itself does not.

Why isolated: checkov pins ``boto3==1.35.49``, which conflicts with the project's boto3/moto, so
it lives in its own virtualenv (``.venv-checkov`` at the project root, created on first use with
``uv venv`` + ``uv pip install "checkov>=3.2,<4"`` when ``uv`` is installed, else ``python -m venv``
+ ``pip install``, then cached). ``LAKEGATE_CHECKOV`` names an
existing checkov executable instead; ``LAKEGATE_CHECKOV_VENV`` moves the virtualenv.

Why fail closed: checkov exits 0 when a (custom) check crashes - it only logs
``Failed to run check ...`` - and exits 0 with an empty report when it cannot parse the plan. A
gate that believes that is a gate that passes broken input. So each of these becomes an
``LG-CHECKOV-001`` finding (severity high) with an excerpt of what checkov printed:

* an exit code other than 0 (no failed checks) or 1 (failed checks);
* stdout that is not checkov's JSON report;
* ``Failed to run check``, a Python traceback or ``parsing error`` text on stdout/stderr;
* parsing errors reported in the JSON, or an empty report for a plan that has resources;
* a timeout.

checkov's open-source results carry no severity (``null`` without a platform API key), so
:data:`SEVERITY_BY_CHECK` maps the checks that matter for this data lake and everything else gets
``default_severity`` ("medium"); a severity checkov does report wins.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from dataclasses import replace

from tf_checks.findings import SEVERITIES, CheckResult, Finding

from tf_checks import registry as _registry

_registry.declare_family(
    "LG-CHECKOV", "checkov integration",
    "`--checkov` runs checkov (isolated venv `.venv-checkov`, or `$LAKEGATE_CHECKOV`) on the same "
    "plan JSON and merges its findings (ids `CKV_*`, severity from checkov or `medium`); the gate "
    "fails closed when checkov cannot be trusted.")
RULE_CHECKOV_FAILED = _registry.declare(
    "LG-CHECKOV-001", "checkov crashed, failed a check or printed unreadable output", "high",
    "LG-CHECKOV",
    "checkov exited abnormally, printed 'Failed to run check', scanned nothing, or its output is "
    "not the JSON lakegate expects. The excerpt of what it printed is in the message. Fix: run "
    "checkov alone on the plan JSON and fix the custom check or the installation.").id
CHECKOV_SPEC = "checkov>=3.2,<4"
ENV_BINARY = "LAKEGATE_CHECKOV"
ENV_VENV = "LAKEGATE_CHECKOV_VENV"
DEFAULT_TIMEOUT = 600.0
INSTALL_TIMEOUT = 1200.0

# Text that means "a check did not run" even though checkov exits 0.
CRASH_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"Failed to run check", re.I),
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"\bparsing error", re.I),
    re.compile(r"Failed to (?:load|parse|import)\b", re.I),
    re.compile(r"\[ERROR\]"),
)

# checkov ids → severity for this project (OSS checkov reports severity null). Why these levels:
# public exposure of lake data is the expensive mistake (high); missing encryption settings are
# medium; logging/versioning/replication/lifecycle are operational hygiene (low).
SEVERITY_BY_CHECK: dict[str, str] = {
    "CKV2_AWS_6": "high",    # S3 bucket has no public access block
    "CKV_AWS_53": "high",    # block_public_acls
    "CKV_AWS_54": "high",    # block_public_policy
    "CKV_AWS_55": "high",    # ignore_public_acls
    "CKV_AWS_56": "high",    # restrict_public_buckets
    "CKV_AWS_20": "high",    # S3 bucket public READ ACL
    "CKV_AWS_57": "high",    # S3 bucket public WRITE ACL
    "CKV_AWS_19": "medium",  # S3 encryption at rest
    "CKV_AWS_145": "medium",  # S3 encrypted with KMS by default
    "CKV_AWS_195": "medium",  # Glue component has a security configuration
    "CKV_AWS_99": "medium",  # Glue security configuration encrypts CloudWatch/job bookmarks/S3
    "CKV_AWS_94": "medium",  # Glue Data Catalog encryption
    "CKV_AWS_158": "medium",  # CloudWatch log group KMS
    "CKV_AWS_159": "medium",  # Athena workgroup encryption
    "CKV_AWS_82": "medium",  # Athena workgroup enforces configuration
    "CKV_AWS_18": "low",     # S3 access logging
    "CKV_AWS_21": "low",     # S3 versioning
    "CKV_AWS_144": "low",    # S3 cross-region replication
    "CKV2_AWS_61": "low",    # S3 lifecycle configuration
    "CKV2_AWS_62": "low",    # S3 event notifications
    "CKV_AWS_66": "low",     # CloudWatch log group retention
    "CKV_AWS_338": "low",    # CloudWatch log group retained >= 1 year
}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_EXCERPT_CHARS = 1500


def project_root() -> Path | None:
    """The source checkout this package runs from (editable install), if any."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def default_venv() -> Path:
    if os.environ.get(ENV_VENV):
        return Path(os.environ[ENV_VENV]).expanduser()
    root = project_root()
    if root is not None:
        return root / ".venv-checkov"
    return Path.home() / ".cache" / "lakegate" / "venv-checkov"


def ensure_checkov(venv: Path | None = None, *, install_timeout: float = INSTALL_TIMEOUT) -> Path:
    """Path of a working checkov executable; creates the isolated venv when needed.

    ``LAKEGATE_CHECKOV`` wins when set (must be an executable file). The venv is marked complete
    by a stamp file so that an interrupted install is redone, and creation is serialised with a
    file lock so two gate runs do not install into the same folder at once.
    """
    explicit = os.environ.get(ENV_BINARY)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise LakegateError(f"{ENV_BINARY} does not name an executable file", where=str(path),
                                fix=f"point {ENV_BINARY} at a checkov executable or unset it")
        return path
    venv = Path(venv) if venv is not None else default_venv()
    binary = venv / "bin" / "checkov"
    stamp = venv / ".lakegate-checkov-ok"
    if binary.is_file() and stamp.is_file() and stamp.read_text().strip() == CHECKOV_SPEC:
        return binary
    venv.mkdir(parents=True, exist_ok=True)  # `python -m venv` accepts an existing folder
    lock_path = venv / ".lakegate-install.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.is_file() and stamp.is_file() and stamp.read_text().strip() == CHECKOV_SPEC:
            return binary
        # A venv may be created from inside another venv; use the base interpreter for clarity.
        base_python = getattr(sys, "_base_executable", None) or sys.executable
        steps = install_steps(venv, base_python, find_uv())
        for cmd in steps:
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=install_timeout)
            except (OSError, subprocess.TimeoutExpired) as err:
                raise LakegateError(f"cannot install checkov into its own venv: {err}", where=str(venv),
                                    fix=f"install it by hand: python -m venv {venv} && "
                                        f"{venv}/bin/pip install '{CHECKOV_SPEC}', or set {ENV_BINARY}") from None
            if proc.returncode != 0:
                tail = _excerpt(_drop_pip_noise(proc.stderr or proc.stdout), 800)
                raise LakegateError(f"cannot install checkov into its own venv (exit {proc.returncode}): {tail}",
                                    where=str(venv),
                                    fix=f"check network access to PyPI, or set {ENV_BINARY} to an existing checkov")
        if not binary.is_file():
            raise LakegateError("checkov installed but its executable is missing", where=str(binary),
                                fix=f"remove {venv} and retry, or set {ENV_BINARY}")
        stamp.write_text(CHECKOV_SPEC + "\n")
    return binary


def find_uv() -> str | None:
    """The ``uv`` installer next to this interpreter (a dev dependency) or on PATH, else None."""
    sibling = Path(sys.executable).parent / "uv"
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which("uv")


def install_steps(venv: Path, base_python: str, uv: str | None) -> list[list[str]]:
    """Commands that create ``venv`` (when it has no interpreter yet) and install checkov into it.

    With ``uv`` (https://docs.astral.sh/uv/): ``uv venv`` + ``uv pip install``, the same fresh
    resolution of :data:`CHECKOV_SPEC` from the index as pip's, in seconds instead of minutes (pip
    spent ~75 CPU-s on checkov's ~100 dependencies here; see docs/DESIGN.md). Without it: ``python
    -m venv`` + ``pip install``. Either way an isolated venv without system site-packages."""
    steps: list[list[str]] = []
    has_python = (venv / "bin" / "python").is_file()
    if uv:
        if not has_python:
            steps.append([uv, "venv", "-q", "--allow-existing", "--python", base_python, str(venv)])
        steps.append([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                      CHECKOV_SPEC])
        return steps
    if not has_python:
        steps.append([base_python, "-m", "venv", str(venv)])
    steps.append([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                  "--disable-pip-version-check", CHECKOV_SPEC])
    return steps


def _drop_pip_noise(text: str) -> str:
    return "\n".join(l for l in text.splitlines() if "is ignored: it is neither a file nor a directory" not in l)


def _excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    text = _ANSI.sub("", text).strip()
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def _crash_excerpt(text: str) -> str | None:
    """The lines around the first crash marker in ``text``, or None when there is none."""
    clean = _ANSI.sub("", text)
    for pat in CRASH_PATTERNS:
        m = pat.search(clean)
        if m:
            start = clean.rfind("\n", 0, m.start()) + 1
            return _excerpt(clean[start:start + _EXCERPT_CHARS * 2])
    return None


def _failure(plan_path: Path, message: str, excerpt: str) -> Finding:
    return Finding(
        rule_id=RULE_CHECKOV_FAILED, severity="high", address=str(plan_path),
        message=f"checkov did not complete a trustworthy scan: {message}"
                + (f"\n--- checkov output ---\n{excerpt}" if excerpt else ""),
        fix="fix what checkov reports (a crashing custom check, an unreadable plan) and rerun; "
            "the gate treats a checkov run it cannot trust as failed",
        source="checkov",
    )


def _plan_has_resources(plan_path: Path) -> bool | None:
    """True/False when the plan JSON can be read, None when it cannot."""
    try:
        data = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    changes = data.get("resource_changes")
    if isinstance(changes, list) and any(isinstance(c, dict) and c.get("mode") == "managed" for c in changes):
        return True
    values = data.get("planned_values") or data.get("values") or {}

    def walk(module: Any) -> bool:
        if not isinstance(module, dict):
            return False
        if any(isinstance(r, dict) and r.get("mode") == "managed" for r in module.get("resources") or []):
            return True
        return any(walk(c) for c in module.get("child_modules") or [])

    return walk(values.get("root_module") if isinstance(values, dict) else None)


def parse_checkov_output(stdout: str, stderr: str, returncode: int, plan_path: Path, *,
                         plan_has_resources: bool | None = None,
                         default_severity: str = "medium",
                         severity_overrides: dict[str, str] | None = None) -> list[Finding]:
    """Turn one checkov run (``-o json``) into findings; any sign of an untrustworthy run → an
    ``LG-CHECKOV-001`` finding (fail closed). Pure: tested with recorded checkov output."""
    if default_severity not in SEVERITIES:
        raise ValueError(f"unknown default severity {default_severity!r}")
    problems: list[Finding] = []
    if returncode not in (0, 1):
        problems.append(_failure(plan_path, f"exit code {returncode} (expected 0 or 1)",
                                 _excerpt(stderr or stdout)))
    stdout_is_json = True
    try:
        data: Any = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError as err:
        data = None
        stdout_is_json = False
        problems.append(_failure(plan_path, f"its output is not JSON ({err.msg} at line {err.lineno})",
                                 _excerpt(stdout)))
    else:
        if data is None:
            problems.append(_failure(plan_path, "it printed nothing", _excerpt(stderr)))
    # Crash text: always on stderr (checkov's log); on stdout only outside a JSON report, since
    # the report embeds the plan's own strings (code_block) which may contain anything.
    for stream in (stderr,) if stdout_is_json else (stderr, stdout):
        crash = _crash_excerpt(stream)
        if crash:
            problems.append(_failure(plan_path, "it reported a crash or a check that failed to run",
                                     crash))
            break
    reports: list[dict[str, Any]] = []
    if isinstance(data, dict):
        reports = [data]
    elif isinstance(data, list):
        reports = [r for r in data if isinstance(r, dict)]
        if len(reports) != len(data):
            problems.append(_failure(plan_path, "its JSON report list holds non-objects", _excerpt(stdout)))
    elif data is not None:
        problems.append(_failure(plan_path, f"its JSON report is a {type(data).__name__}", _excerpt(stdout)))

    findings: list[Finding] = []
    overrides = {**SEVERITY_BY_CHECK, **(severity_overrides or {})}
    scanned = 0
    for report in reports:
        summary = report.get("summary") if isinstance(report.get("summary"), dict) else report
        if "results" not in report:
            # checkov's empty form: {"passed": 0, "failed": 0, ..., "resource_count": 0}
            if not {"passed", "failed", "resource_count"} <= set(summary):
                problems.append(_failure(plan_path, "its JSON is not a checkov report", _excerpt(stdout)))
                continue
        perr = summary.get("parsing_errors") or 0
        results = report.get("results") if isinstance(report.get("results"), dict) else {}
        if perr or results.get("parsing_errors"):
            problems.append(_failure(plan_path, f"it could not parse {perr or len(results['parsing_errors'])} "
                                                "file(s)", _excerpt(json.dumps(results.get("parsing_errors", [])))))
        if isinstance(summary.get("resource_count"), int):
            scanned += summary["resource_count"]
        failed = results.get("failed_checks") or []
        if not isinstance(failed, list):
            problems.append(_failure(plan_path, "results.failed_checks is not a list", _excerpt(stdout)))
            continue
        for chk in failed:
            if not isinstance(chk, dict) or not isinstance(chk.get("check_id"), str):
                problems.append(_failure(plan_path, "a failed check has no check_id", _excerpt(json.dumps(chk)[:500])))
                continue
            findings.append(_finding_from_check(chk, overrides, default_severity))
        if results.get("passed_checks") or failed:
            scanned = max(scanned, 1)
    if reports and not problems and scanned == 0 and plan_has_resources:
        problems.append(_failure(plan_path, "it scanned 0 resources of a plan that has resources "
                                            "(checkov exits 0 when it cannot read a plan)", _excerpt(stdout)))
    if returncode == 1 and not findings and not problems:
        problems.append(_failure(plan_path, "exit code 1 without any failed check in its report",
                                 _excerpt(stderr or stdout)))
    return problems + findings


def _finding_from_check(chk: dict[str, Any], overrides: dict[str, str], default_severity: str) -> Finding:
    check_id = chk["check_id"]
    reported = chk.get("severity")
    if isinstance(reported, str) and reported.lower() in SEVERITIES:
        severity = reported.lower()
    else:
        severity = overrides.get(check_id, default_severity)
    address = chk.get("resource_address") or chk.get("resource") or "?"
    name = chk.get("check_name") or check_id
    keys = (chk.get("check_result") or {}).get("evaluated_keys") or []
    message = f"{name} [{check_id}]"
    if keys:
        message += f" (evaluated: {', '.join(map(str, keys[:5]))})"
    guideline = chk.get("guideline")
    fix = f"see {guideline}" if guideline else (
        f"{name}; or suppress with a reason: '# lakegate:ignore {check_id} reason: <why>'")
    return Finding(rule_id=check_id, severity=severity, address=str(address), message=message,
                   fix=fix, source="checkov")


def run_checkov(plan_path: Path, *, external_checks_dir: Path | None = None,
                timeout: float = DEFAULT_TIMEOUT, checks: list[str] | None = None,
                default_severity: str = "medium",
                severity_overrides: dict[str, str] | None = None) -> list[Finding]:
    """Run checkov (``--framework terraform_plan -o json``) on ``plan_path`` and return its
    failed checks as findings, plus ``LG-CHECKOV-001`` findings for any untrustworthy run.

    :param external_checks_dir: a folder of custom checks (``--external-checks-dir``).
    :param checks: only run these check ids (``--check``), e.g. the benchmark's custom check.
    :raises LakegateError: the plan file does not exist, or checkov is not available and cannot
        be installed (environment problem, exit 2).
    """
    plan_path = Path(plan_path)
    if not plan_path.is_file():
        raise LakegateError("plan file for checkov not found", where=str(plan_path),
                            fix="pass the plan JSON written by 'terraform show -json'")
    if external_checks_dir is not None and not Path(external_checks_dir).is_dir():
        raise LakegateError("checkov external checks folder not found", where=str(external_checks_dir),
                            fix="pass an existing folder of checkov custom checks")
    binary = ensure_checkov()
    cmd = [str(binary), "-f", str(plan_path), "--framework", "terraform_plan", "-o", "json",
           "--skip-download"]
    if external_checks_dir is not None:
        cmd += ["--external-checks-dir", str(external_checks_dir)]
    if checks:
        cmd += ["--check", ",".join(checks)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=checkov_env(),
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        return [_failure(plan_path, f"it did not finish within {timeout:.0f} s", _excerpt(out))]
    except OSError as err:
        raise LakegateError(f"cannot run checkov: {err}", where=str(binary),
                            fix=f"remove {binary.parent.parent} to reinstall it, or set {ENV_BINARY}") from None
    return parse_checkov_output(proc.stdout, proc.stderr, proc.returncode, plan_path,
                                plan_has_resources=_plan_has_resources(plan_path),
                                default_severity=default_severity,
                                severity_overrides=severity_overrides)


def merge_checkov(result: CheckResult, plan_path: Path, **kwargs: Any) -> CheckResult:
    """``result`` plus checkov's findings on ``plan_path`` (keyword arguments go to
    :func:`run_checkov`). Records ``inputs["checkov"]`` so reports show that checkov ran (the
    JUnit output then adds a passing "checkov" testcase when it found nothing). Apply
    suppressions *after* this, so checkov findings can be suppressed with a reason too."""
    findings = run_checkov(plan_path, **kwargs)
    inputs = {**result.inputs, "checkov": {"plan": str(plan_path), "findings": len(findings)}}
    return replace(result, findings=list(result.findings) + findings, inputs=inputs)


def checkov_env() -> dict[str, str]:
    """Environment for the checkov subprocess: no network look-ups (guideline mapping), no
    leakage of the gate's own virtualenv/PYTHONPATH into checkov's interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["BC_SKIP_MAPPING"] = "TRUE"
    env.setdefault("LOG_LEVEL", "WARNING")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def which_checkov() -> Path | None:
    """The checkov that :func:`run_checkov` would use without installing, or None."""
    explicit = os.environ.get(ENV_BINARY)
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    binary = default_venv() / "bin" / "checkov"
    return binary if binary.is_file() else None
