"""The runbook's "Fazer backup das configurações atuais", made concrete: before an update, save
the Terraform state, every job bookmark and every catalog table definition, each in a file whose
name and content carry the UTC timestamp."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate import runbook
from lakegate.names import PipelineNames


@dataclass
class Backup:
    directory: Path
    taken_at: str
    files: dict[str, Path] = field(default_factory=dict)   # kind -> file


def _write(path: Path, data: Any) -> Path:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str, sort_keys=True))
    tmp.replace(path)
    return path


def take_backup(clients: Any, names: PipelineNames, dest: Path, terraform_state: dict[str, Any] | None) -> Backup:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = Path(dest) / f"backup-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    backup = Backup(folder, stamp)
    if terraform_state is not None:
        backup.files["terraform_state"] = _write(folder / f"terraform-state-{stamp}.json",
                                                 {"taken_at": stamp, "state": terraform_state})
    bookmarks = {job: runbook.get_bookmark(clients, job) for job in names.all_jobs}
    backup.files["job_bookmarks"] = _write(folder / f"job-bookmarks-{stamp}.json",
                                           {"taken_at": stamp, "bookmarks": bookmarks})
    tables = []
    for page in clients.glue.get_paginator("get_tables").paginate(DatabaseName=names.database):
        tables.extend(page.get("TableList", []))
    backup.files["catalog_tables"] = _write(folder / f"catalog-tables-{stamp}.json",
                                            {"taken_at": stamp, "database": names.database, "tables": tables})
    return backup
