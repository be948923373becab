"""``lakegate backup``: the runbook's "Fazer backup das configurações atuais" (Checklist Antes,
item 1), made concrete and verifiable.

One call of :func:`take_backup` writes a timestamped folder ``backup-<UTC stamp>/`` (mode 0700,
files 0600) with:

=====================  ==========================================================================
kind                   file (every name carries the stamp)
=====================  ==========================================================================
``terraform_state``    ``terraform-state-<stamp>.json`` (a state document: ``terraform show
                       -json``) or ``terraform-state-<stamp>.tfstate`` (a raw state file, as
                       ``terraform state pull`` writes it: restorable with ``terraform state push``)
``job_bookmarks``      ``job-bookmarks-<stamp>.json``: every job's bookmark entry (``RunId``,
                       ``Run``, ``Attempt``, the bookmark itself) and its last run id and state
``catalog_tables``     ``catalog-<stamp>.json``: the database, every table definition and every
                       partition definition of every table
``crawlers_triggers``  ``crawlers-triggers-<stamp>.json``: crawler, trigger and workflow
                       configuration
``data_manifest``      ``data-manifest-<stamp>.json``: object count and bytes per data prefix
                       (crawler targets, job outputs, the bronze path)
``manifest``           ``manifest-<stamp>.json``: what was saved, with counts, sizes and sha256
=====================  ==========================================================================

plus ``SHA256SUMS`` (``sha256sum -c SHA256SUMS`` format) with one checksum per file.

It changes nothing in AWS: only ``Get*``/``List*`` calls (the tests record every API call).
The folder holds the user's data -- catalog definitions, bookmarks and, with a Terraform state,
possibly secrets in it -- which is why it is owner-only; nothing of it is printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lakegate import runbook
from lakegate.errors import LakegateError
from lakegate.names import PipelineNames

SUMS_FILE = "SHA256SUMS"


@dataclass
class BackupResult:
    """What :func:`take_backup` wrote. ``directory`` is the timestamped folder."""

    directory: Path
    taken_at: str
    files: dict[str, Path] = field(default_factory=dict)   # kind -> file
    manifest: dict[str, Any] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)  # file name -> sha256

    @property
    def path(self) -> Path:
        return self.directory

    @property
    def sums_file(self) -> Path:
        return self.directory / SUMS_FILE

    def summary(self) -> dict[str, Any]:
        """Counts only (no names of the user's data beyond the pipeline's own), for printing."""
        return {"folder": str(self.directory), "taken_at": self.taken_at,
                "files": {k: p.name for k, p in self.files.items()},
                "counts": self.manifest.get("counts", {})}


Backup = BackupResult  # the name the steps used before this module grew a command


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_bytes(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def _write(path: Path, data: Any) -> Path:
    return _write_bytes(path, (json.dumps(data, indent=2, default=str, sort_keys=True) + "\n").encode())


def _paginate(client: Any, op: str, key: str, **kwargs: Any) -> list[Any]:
    out: list[Any] = []
    for page in client.get_paginator(op).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def _last_run(clients: Any, job: str) -> dict[str, Any] | None:
    try:
        runs = clients.glue.get_job_runs(JobName=job, MaxResults=1).get("JobRuns", [])
    except ClientError as err:
        if runbook.error_code(err) == "EntityNotFoundException":
            return None
        raise
    if not runs:
        return None
    r = runs[0]
    return {"id": r.get("Id"), "state": r.get("JobRunState"), "started": r.get("StartedOn"),
            "completed": r.get("CompletedOn"), "attempt": r.get("Attempt")}


def _bookmarks(clients: Any, names: PipelineNames) -> dict[str, Any]:
    bookmarks: dict[str, Any] = {}
    last_runs: dict[str, Any] = {}
    for job in names.all_jobs:
        bookmarks[job] = runbook.get_bookmark(clients, job)
        last_runs[job] = _last_run(clients, job)
    return {"bookmarks": bookmarks, "last_runs": last_runs}


def _catalog(clients: Any, names: PipelineNames) -> dict[str, Any]:
    glue = clients.glue
    try:
        database = glue.get_database(Name=names.database).get("Database")
    except ClientError as err:
        if runbook.error_code(err) != "EntityNotFoundException":
            raise
        database = None
    tables = _paginate(glue, "get_tables", "TableList", DatabaseName=names.database) if database else []
    partitions = {t["Name"]: _paginate(glue, "get_partitions", "Partitions", DatabaseName=names.database,
                                       TableName=t["Name"]) for t in tables}
    return {"database": names.database, "database_definition": database, "tables": tables,
            "partitions": partitions}


def _crawlers_triggers(clients: Any, names: PipelineNames) -> dict[str, Any]:
    glue = clients.glue
    crawlers: dict[str, Any] = {}
    for crawler in dict.fromkeys(names.crawlers.values()):
        try:
            crawlers[crawler] = glue.get_crawler(Name=crawler).get("Crawler")
        except ClientError as err:
            if runbook.error_code(err) != "EntityNotFoundException":
                raise
            crawlers[crawler] = None
    try:
        workflow = glue.get_workflow(Name=names.workflow).get("Workflow")
    except ClientError as err:
        if runbook.error_code(err) != "EntityNotFoundException":
            raise
        workflow = None
    triggers = [t for t in _paginate(glue, "get_triggers", "Triggers")
                if t.get("WorkflowName") == names.workflow]
    triggers.sort(key=lambda t: t.get("Name", ""))
    return {"workflow": workflow, "crawlers": crawlers, "triggers": triggers}


def data_prefixes(names: PipelineNames) -> list[str]:
    """The S3 prefixes that hold the pipeline's data, from its outputs (never guessed)."""
    found = [names.bronze_data_path, *names.crawler_targets.values(), *names.job_output_paths.values()]
    out: list[str] = []
    for p in found:
        if isinstance(p, str) and p.startswith("s3://"):
            p = p if p.endswith("/") else p + "/"
            if p not in out:
                out.append(p)
    return sorted(out)


def _manifest_of_data(clients: Any, prefixes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for url in prefixes:
        bucket, _, key = url[len("s3://"):].partition("/")
        count = size = 0
        try:
            for obj in _paginate(clients.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=key):
                count += 1
                size += int(obj.get("Size", 0))
            out[url] = {"objects": count, "bytes": size}
        except ClientError as err:
            out[url] = {"objects": None, "bytes": None, "error": runbook.error_code(err)}
    return out


def _state_bytes(terraform_state: Any) -> tuple[bytes, str]:
    """(content, file suffix) of the Terraform state as given."""
    if isinstance(terraform_state, (bytes, bytearray)):
        raw = bytes(terraform_state)
        try:
            json.loads(raw)
        except ValueError as err:
            raise LakegateError(f"the Terraform state is not JSON ({err})", where="terraform state",
                                fix="pass the file `terraform state pull` writes") from None
        return raw, ".tfstate"
    return (json.dumps(terraform_state, indent=2, default=str, sort_keys=True) + "\n").encode(), ".json"


def take_backup(clients: Any, names: PipelineNames, dest: Path, terraform_state: Any = None, *,
                env: str | None = None, state_source: str | None = None) -> BackupResult:
    """Back up the pipeline into a new folder under ``dest``; read-only on AWS.

    ``terraform_state``: a state document (dict, e.g. ``TerraformDriver.show_state()``), the raw
    bytes of a state file (``terraform state pull``), or None to skip it. ``state_source`` says
    where it came from (kept in the manifest)."""
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LakegateError(f"cannot create the backup folder: {err.strerror}", where=str(dest),
                            fix="pass --out with a writable folder") from None
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%S-%fZ")  # no 12-digit run: masking would take it for an account id
    folder = dest / f"backup-{stamp}"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)
    result = BackupResult(folder, stamp)
    counts: dict[str, Any] = {}

    if terraform_state is not None:
        raw, suffix = _state_bytes(terraform_state)
        result.files["terraform_state"] = _write_bytes(folder / f"terraform-state-{stamp}{suffix}", raw)
        counts["terraform_state_bytes"] = len(raw)

    books = _bookmarks(clients, names)
    result.files["job_bookmarks"] = _write(folder / f"job-bookmarks-{stamp}.json", {"taken_at": stamp, **books})
    counts["jobs"] = len(books["bookmarks"])
    counts["bookmarks"] = sum(1 for b in books["bookmarks"].values() if b)

    catalog = _catalog(clients, names)
    result.files["catalog_tables"] = _write(folder / f"catalog-{stamp}.json", {"taken_at": stamp, **catalog})
    counts["tables"] = len(catalog["tables"])
    counts["partitions"] = sum(len(p) for p in catalog["partitions"].values())

    conf = _crawlers_triggers(clients, names)
    result.files["crawlers_triggers"] = _write(folder / f"crawlers-triggers-{stamp}.json", {"taken_at": stamp, **conf})
    counts["crawlers"] = sum(1 for c in conf["crawlers"].values() if c)
    counts["triggers"] = len(conf["triggers"])

    data = _manifest_of_data(clients, data_prefixes(names))
    result.files["data_manifest"] = _write(folder / f"data-manifest-{stamp}.json",
                                           {"taken_at": stamp, "prefixes": data})
    counts["data_prefixes"] = len(data)
    counts["objects"] = sum(v["objects"] or 0 for v in data.values())
    counts["bytes"] = sum(v["bytes"] or 0 for v in data.values())

    files = {kind: {"file": p.name, "sha256": _sha256(p), "bytes": p.stat().st_size}
             for kind, p in result.files.items()}
    manifest = {"version": 1, "taken_at": stamp, "taken_at_iso": now.isoformat(),
                "environment": env, "database": names.database, "workflow": names.workflow,
                "jobs": names.all_jobs, "terraform_state_source": state_source if terraform_state is not None else None,
                "files": files, "counts": counts, "data_prefixes": data,
                "read_only": True, "tool": "lakegate backup"}
    result.files["manifest"] = _write(folder / f"manifest-{stamp}.json", manifest)
    result.manifest = manifest
    result.checksums = {p.name: _sha256(p) for p in result.files.values()}
    _write_bytes(folder / SUMS_FILE, "".join(f"{h}  {n}\n" for n, h in sorted(result.checksums.items())).encode())
    return result


def verify(folder: Path) -> list[str]:
    """Problems with a backup folder (empty when every file matches ``SHA256SUMS``)."""
    folder = Path(folder)
    sums = folder / SUMS_FILE
    if not sums.is_file():
        return [f"{sums} is missing"]
    problems: list[str] = []
    listed: set[str] = set()
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed.add(name)
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(path) != digest:
            problems.append(f"{name}: checksum mismatch")
    for path in folder.iterdir():
        if path.name != SUMS_FILE and path.name not in listed:
            problems.append(f"{path.name}: not in {SUMS_FILE}")
    return problems


def latest_backup(root: Path) -> dict[str, Any] | None:
    """The newest backup under ``root`` (``{"folder", "taken_at", "counts", "verified"}``), for
    ``lakegate recover`` and the sign-off to show which backup was taken before a reset."""
    root = Path(root)
    if not root.is_dir():
        return None
    folders = sorted((p for p in root.glob("backup-*") if p.is_dir()), key=lambda p: p.name)
    for folder in reversed(folders):
        manifests = sorted(folder.glob("manifest-*.json"))
        if not manifests:
            continue
        try:
            data = json.loads(manifests[-1].read_text())
        except (OSError, ValueError):
            continue
        return {"folder": str(folder), "taken_at": data.get("taken_at"),
                "counts": data.get("counts", {}), "verified": not verify(folder)}
    return None
