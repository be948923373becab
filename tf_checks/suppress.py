"""Suppressions: accepting a finding on purpose, with a reason that stays visible.

A finding can be suppressed in two ways, and only with a written reason:

* an **inline comment** in a ``.tf`` file, on the line(s) directly above a ``resource`` block or
  anywhere inside it::

      # lakegate:ignore LG-IAM-001 reason: the crawler only reads a public sample bucket
      resource "aws_glue_crawler" "bronze" { ... }

  (``//`` comments work too). The comment applies to that resource's findings (matched on the
  finding's ``address`` or, for IAM findings, its ``role_address``), in the root module or, for
  files of a local module (``source = "./modules/x"``), in every instance of that module.
* a **baseline file** (default name ``.lakegate-baseline.json``)::

      [{"rule_id": "LG-IAM-001", "address": "aws_glue_crawler.bronze", "reason": "..."}]

  ``address`` is either a full address (``module.a.aws_x.y["k"]``) or one without index
  (``aws_x.y`` covers every ``count``/``for_each`` instance).

Why a reason is mandatory: a silent ignore is how the runbook's permission bug survived; a
suppression without a reason is therefore itself a finding (``LG-SUPPRESS-001``, high) and does
not suppress anything. A suppression that matches no finding is reported as ``LG-SUPPRESS-002``
(low) so stale entries get cleaned up. Suppressed findings keep ``Finding.suppressed = reason``
and are still shown by every output; they only stop counting for the exit code.

This module also indexes where each resource block is declared (:func:`index_tf_dir`), which the
SARIF output uses to map findings back to ``.tf`` files and lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from tf_checks.findings import CheckResult, Finding

from tf_checks import registry as _registry

BASELINE_FILENAME = ".lakegate-baseline.json"
_registry.declare_family(
    "LG-SUPPRESS", "Suppressions",
    "Suppression hygiene: a finding is accepted only with a written reason (inline "
    "`# lakegate:ignore RULE reason: ...` in the Terraform directory, or a baseline file "
    "`[{\"rule_id\", \"address\", \"reason\"}]` given with `--baseline`); suppressed findings "
    "stay in every output and only stop counting for the exit code.")
RULE_NO_REASON = _registry.declare(
    "LG-SUPPRESS-001", "Suppression without a reason", "high", "LG-SUPPRESS",
    "A suppression without a reason (or a malformed `lakegate:ignore` comment) suppresses nothing "
    "and is itself a finding. Fix: write `reason: <why this is acceptable>`.").id
RULE_UNUSED = _registry.declare(
    "LG-SUPPRESS-002", "Stale suppression", "low", "LG-SUPPRESS",
    "A suppression that matches no finding, or a comment not attached to a resource block. "
    "Fix: delete it, or move the comment directly above/inside the resource block.").id

_SKIP_DIRS = {".terraform", ".git", ".venv", "node_modules", "__pycache__"}
_RESOURCE_RE = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')
_DATA_RE = re.compile(r'^\s*data\s+"([^"]+)"\s+"([^"]+)"\s*\{')
_MODULE_RE = re.compile(r'^\s*module\s+"([^"]+)"\s*\{')
_SOURCE_RE = re.compile(r'^\s*source\s*=\s*"([^"]+)"')
# The marker; what follows is parsed by _parse_directive so that a malformed one is reported.
_MARKER_RE = re.compile(r"(?:#|//)\s*lakegate:ignore\b(.*)$")
_DIRECTIVE_RE = re.compile(
    r"^\s*(?P<rule>[A-Za-z0-9_][A-Za-z0-9_\-]*)(?:\s+reason\s*:\s*(?P<reason>.*?))?\s*(?:\*/)?\s*$"
)
_INDEX_RE = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Block:
    """A ``resource``/``data``/``module`` block in a ``.tf`` file (lines are 1-based, inclusive)."""

    kind: str        # "resource" | "data" | "module"
    type: str        # resource type, or "" for modules
    name: str
    file: Path       # absolute path
    start: int
    end: int
    source: str | None = None  # module blocks: the ``source`` argument


@dataclass(frozen=True)
class Suppression:
    """One accepted finding: which rule, on which resource address, and why."""

    rule_id: str
    address: str            # full address or address without instance keys; may start with
                            # "module.*." (any instance of a local module)
    reason: str
    kind: str               # "inSource" (comment in .tf) or "external" (baseline file)
    origin: str             # "file.tf:12" or "baseline.json[3]"

    def matches(self, finding: Finding) -> bool:
        if finding.rule_id != self.rule_id:
            return False
        return any(_address_matches(self.address, a) for a in (finding.address, finding.role_address) if a)


@dataclass
class TfIndex:
    """Where each resource is declared: address-without-index → (file relative to root, line)."""

    root: Path
    locations: dict[str, tuple[str, int]] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def locate(self, address: str) -> tuple[str, int] | None:
        """Find the declaring file/line of ``address`` (instance keys are ignored)."""
        base = strip_index(address)
        if base in self.locations:
            return self.locations[base]
        # module.a.module.b.aws_x.y may be declared under module.*.module.*.aws_x.y via the
        # module-dir mapping; try the wildcard form.
        wild = re.sub(r"module\.[^.]+\.", "module.*.", base)
        return self.locations.get(wild)


def strip_index(address: str) -> str:
    """``module.m["a"].aws_x.y[0]`` → ``module.m.aws_x.y`` (instance keys removed)."""
    return _INDEX_RE.sub("", address)


def _address_matches(pattern: str, address: str) -> bool:
    if pattern == address:
        return True
    base = strip_index(address)
    if pattern == base:
        return True
    if "module.*." in pattern:
        regex = "^" + re.escape(pattern).replace(r"module\.\*\.", r"module\.[^.]+\.") + "$"
        return re.match(regex, base) is not None
    return False


# --------------------------------------------------------------------------------------------
# .tf scanning (a small lexer: enough to find block extents past strings, heredocs, comments)
# --------------------------------------------------------------------------------------------

def _block_end(lines: list[str], start: int) -> int:
    """Index of the line holding the ``}`` that closes the block opened on ``lines[start]``.

    Braces inside strings (incl. ``${...}`` interpolations with nested strings), comments and
    heredocs do not count. An unterminated block ends at the last line (fail soft: we only use
    extents to attach comments and locations).
    """
    depth = 0
    stack: list[str] = []     # "str" (in a quoted string) or "interp" (inside ${ } of a string)
    interp_depth: list[int] = []
    heredoc: str | None = None
    in_block_comment = False
    opened = False
    for i in range(start, len(lines)):
        line = lines[i]
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        j = 0
        n = len(line)
        while j < n:
            c = line[j]
            nxt = line[j + 1] if j + 1 < n else ""
            if in_block_comment:
                if c == "*" and nxt == "/":
                    in_block_comment = False
                    j += 2
                    continue
                j += 1
                continue
            if stack and stack[-1] == "str":
                if c == "\\":
                    j += 2
                    continue
                if c == '"':
                    stack.pop()
                elif c in "$%" and nxt == "{":
                    stack.append("interp")
                    interp_depth.append(0)
                    j += 2
                    continue
                j += 1
                continue
            # code (top level or inside an interpolation)
            if c == "#" or (c == "/" and nxt == "/"):
                break
            if c == "/" and nxt == "*":
                in_block_comment = True
                j += 2
                continue
            if c == '"':
                stack.append("str")
            elif c == "<" and nxt == "<" and not stack:
                m = re.match(r"<<-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", line[j:])
                if m:
                    heredoc = m.group(1)
                    break
            elif c == "{":
                if stack and stack[-1] == "interp":
                    interp_depth[-1] += 1
                else:
                    depth += 1
                    opened = True
            elif c == "}":
                if stack and stack[-1] == "interp":
                    if interp_depth[-1] == 0:
                        stack.pop()
                        interp_depth.pop()
                    else:
                        interp_depth[-1] -= 1
                else:
                    depth -= 1
                    if opened and depth == 0:
                        return i
            j += 1
    return len(lines) - 1


def _scan_file(path: Path) -> tuple[list[Block], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LakegateError(f"cannot read Terraform file: {err}", where=str(path),
                            fix="make the file readable UTF-8 text or remove it from the directory") from None
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _RESOURCE_RE.match(line)
        kind = "resource"
        if not m:
            m = _DATA_RE.match(line)
            kind = "data"
        if m:
            end = _block_end(lines, i)
            blocks.append(Block(kind, m.group(1), m.group(2), path, i + 1, end + 1))
            i = end + 1
            continue
        mm = _MODULE_RE.match(line)
        if mm:
            end = _block_end(lines, i)
            source = None
            for k in range(i + 1, end + 1):
                sm = _SOURCE_RE.match(lines[k])
                if sm:
                    source = sm.group(1)
                    break
            blocks.append(Block("module", "", mm.group(1), path, i + 1, end + 1, source))
            i = end + 1
            continue
        i += 1
    return blocks, lines


def _tf_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.tf") if p.is_file())


@dataclass
class _ScanResult:
    index: TfIndex
    comments: list[tuple[Path, int, str, Block | None, str]]  # file, line, raw directive, block, address prefix


def _scan_dir(root: Path) -> _ScanResult:
    """Scan the root module and, recursively, local modules referenced by ``source = "./..."``."""
    index = TfIndex(root=root)
    comments: list[tuple[Path, int, str, Block | None, str]] = []
    seen: set[tuple[Path, str]] = set()

    def visit(directory: Path, prefix: str, depth: int) -> None:
        key = (directory.resolve(), prefix)
        if key in seen or depth > 8:
            return
        seen.add(key)
        for path in _tf_files(directory):
            blocks, lines = _scan_file(path)
            rel = _rel(path, root)
            for b in blocks:
                index.blocks.append(b)
                if b.kind in ("resource", "data"):
                    base = f"{prefix}{'data.' if b.kind == 'data' else ''}{b.type}.{b.name}"
                    index.locations.setdefault(base, (rel, b.start))
                elif b.source and (b.source.startswith("./") or b.source.startswith("../")):
                    sub = (directory / b.source).resolve()
                    if sub.is_dir():
                        visit(sub, f"{prefix}module.{b.name}.", depth + 1)
            # directives
            res_blocks = [b for b in blocks if b.kind == "resource"]
            for ln, line in enumerate(lines, start=1):
                m = _MARKER_RE.search(line)
                if not m:
                    continue
                comments.append((path, ln, m.group(1), _attached_block(res_blocks, lines, ln), prefix))

    visit(root, "", 0)
    return _ScanResult(index, comments)


def _attached_block(blocks: list[Block], lines: list[str], line_no: int) -> Block | None:
    """The resource block a directive on ``line_no`` belongs to: inside it, or in the run of
    comment lines directly above its ``resource`` line."""
    for b in blocks:
        if b.start <= line_no <= b.end:
            return b
    for b in blocks:
        if b.start > line_no:
            between = lines[line_no:b.start - 1]  # lines after the directive, before the block
            if all(_is_comment(x) for x in between):
                return b
            return None
    return None


def _is_comment(line: str) -> bool:
    s = line.strip()
    return s.startswith("#") or s.startswith("//")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def index_tf_dir(tf_dir: Path) -> TfIndex:
    """Index resource blocks of ``tf_dir`` (root module + local modules) for location mapping."""
    return _scan_dir(Path(tf_dir)).index


# --------------------------------------------------------------------------------------------
# Loading suppressions
# --------------------------------------------------------------------------------------------

def _problem(rule_id: str, severity: str, address: str, message: str, fix: str,
             file: str | None = None, line: int | None = None) -> Finding:
    return Finding(rule_id=rule_id, severity=severity, address=address, message=message, fix=fix,
                   file=file, line=line)


def inline_suppressions(tf_dir: Path) -> tuple[list[Suppression], list[Finding]]:
    """Suppressions from ``# lakegate:ignore RULE reason: TEXT`` comments, and findings for
    malformed ones (no reason, no rule id, not attached to a resource block)."""
    scan = _scan_dir(Path(tf_dir))
    sups: list[Suppression] = []
    problems: list[Finding] = []
    for path, ln, raw, block, prefix in scan.comments:
        rel = _rel(path, Path(tf_dir))
        origin = f"{rel}:{ln}"
        m = _DIRECTIVE_RE.match(raw)
        address = (f"{'module.*.' * prefix.count('module.')}{block.type}.{block.name}"
                   if block else origin)
        if not m:
            problems.append(_problem(
                RULE_NO_REASON, "high", address,
                f"malformed suppression comment at {origin}: {raw.strip()!r}",
                "write it as '# lakegate:ignore LG-XXX-NNN reason: <why this is acceptable>'",
                rel, ln))
            continue
        reason = (m.group("reason") or "").strip()
        if not reason:
            problems.append(_problem(
                RULE_NO_REASON, "high", address,
                f"suppression of {m.group('rule')} at {origin} has no reason, so it is ignored",
                f"add the reason: '# lakegate:ignore {m.group('rule')} reason: <why this is acceptable>'",
                rel, ln))
            continue
        if block is None:
            problems.append(_problem(
                RULE_UNUSED, "low", origin,
                f"suppression of {m.group('rule')} at {origin} is not on the line above or inside "
                "a resource block, so it applies to nothing",
                "move the comment directly above the resource block it is about (or inside it)",
                rel, ln))
            continue
        sups.append(Suppression(m.group("rule"), address, reason, "inSource", origin))
    return sups, problems


def load_baseline(path: Path) -> tuple[list[Suppression], list[Finding]]:
    """Suppressions from a baseline file; malformed file → :class:`LakegateError` (exit 2),
    entries without reason → ``LG-SUPPRESS-001`` findings."""
    path = Path(path)
    fix = ('the baseline is a JSON list of objects: '
           '[{"rule_id": "LG-IAM-001", "address": "aws_glue_crawler.x", "reason": "why"}]')
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LakegateError("baseline file not found", where=str(path),
                            fix="pass an existing file to --baseline or create it") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LakegateError(f"cannot read baseline file: {err}", where=str(path), fix=fix) from None
    except json.JSONDecodeError as err:
        raise LakegateError(f"baseline file is not valid JSON: {err.msg} (line {err.lineno}, "
                            f"column {err.colno})", where=str(path), fix=fix) from None
    if not isinstance(data, list):
        raise LakegateError(f"baseline must be a JSON list, found {type(data).__name__}",
                            where=f"{path}: $", fix=fix)
    sups: list[Suppression] = []
    problems: list[Finding] = []
    for i, entry in enumerate(data):
        where = f"{path}: $[{i}]"
        if not isinstance(entry, dict):
            raise LakegateError(f"baseline entry must be an object, found {type(entry).__name__}",
                                where=where, fix=fix)
        for key in ("rule_id", "address"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise LakegateError(f"baseline entry has no {key!r} string", where=where, fix=fix)
        reason = entry.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise LakegateError("baseline entry 'reason' must be a string", where=where, fix=fix)
        origin = f"{path.name}[{i}]"
        if not reason or not reason.strip():
            problems.append(_problem(
                RULE_NO_REASON, "high", entry["address"],
                f"baseline suppression of {entry['rule_id']} ({origin}) has no reason, so it is ignored",
                f'add "reason": "<why this is acceptable>" to entry {i} of {path.name}'))
            continue
        sups.append(Suppression(entry["rule_id"].strip(), entry["address"].strip(),
                                reason.strip(), "external", origin))
    return sups, problems


# --------------------------------------------------------------------------------------------
# Applying
# --------------------------------------------------------------------------------------------

def apply_suppressions(result: CheckResult, tf_dir: Path | None = None,
                       baseline_path: Path | None = None) -> CheckResult:
    """Return a new :class:`CheckResult` whose matching findings carry ``suppressed = reason``.

    * ``tf_dir``: scan its ``.tf`` files (and local modules) for ``lakegate:ignore`` comments.
    * ``baseline_path``: a baseline JSON file; when ``None`` and ``tf_dir`` holds
      ``.lakegate-baseline.json``, that one is used.

    Findings about the suppressions themselves (no reason, unused, unattached) are appended and
    are never suppressible. ``result.inputs["suppressions"]`` lists every suppression with its
    kind/origin and how many findings it matched (the SARIF output uses the kind).
    """
    sups: list[Suppression] = []
    problems: list[Finding] = []
    if tf_dir is not None:
        s, p = inline_suppressions(Path(tf_dir))
        sups += s
        problems += p
        if baseline_path is None and (Path(tf_dir) / BASELINE_FILENAME).is_file():
            baseline_path = Path(tf_dir) / BASELINE_FILENAME
    if baseline_path is not None:
        s, p = load_baseline(Path(baseline_path))
        sups += s
        problems += p

    used = [0] * len(sups)
    findings: list[Finding] = []
    for f in result.findings:
        if f.rule_id.startswith("LG-SUPPRESS-"):
            findings.append(f)
            continue
        hit = next((i for i, s in enumerate(sups) if s.matches(f)), None)
        if hit is None:
            findings.append(f)
        else:
            used[hit] += 1
            findings.append(replace(f, suppressed=sups[hit].reason))
    for s, n in zip(sups, used):
        if n == 0:
            file, line = _origin_file_line(s)
            problems.append(_problem(
                RULE_UNUSED, "low", s.address,
                f"suppression of {s.rule_id} for {s.address} ({s.origin}) matches no finding",
                "remove the stale suppression (or fix its rule id / address)", file, line))
    inputs = dict(result.inputs)
    inputs["suppressions"] = [
        {"rule_id": s.rule_id, "address": s.address, "reason": s.reason, "kind": s.kind,
         "origin": s.origin, "matched": n}
        for s, n in zip(sups, used)
    ]
    if baseline_path is not None:
        inputs["baseline"] = str(baseline_path)
    return replace(result, findings=findings + problems, inputs=inputs)


def suppression_kind(result: CheckResult, finding: Finding) -> str:
    """``inSource`` or ``external`` for a suppressed finding (SARIF ``suppression.kind``)."""
    for entry in result.inputs.get("suppressions", []) or []:
        if (isinstance(entry, dict) and entry.get("rule_id") == finding.rule_id
                and entry.get("reason") == finding.suppressed
                and any(_address_matches(str(entry.get("address")), a)
                        for a in (finding.address, finding.role_address) if a)):
            return "inSource" if entry.get("kind") == "inSource" else "external"
    return "external"


def _origin_file_line(s: Suppression) -> tuple[str | None, int | None]:
    if s.kind == "inSource" and ":" in s.origin:
        file, _, line = s.origin.rpartition(":")
        if line.isdigit():
            return file, int(line)
    return None, None
