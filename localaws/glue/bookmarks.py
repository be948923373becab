"""Job bookmarks: GetJobBookmark / ResetJobBookmark with AWS's shapes, and the per-input file
filter a run with ``--job-bookmark-option job-bookmark-enable`` applies.

A bookmark remembers, per input (the SQL header's input name = Glue's ``transformation_ctx``),
the S3 objects already processed (key -> etag) and a high-water modification time. A file is new
when its key+etag was not processed and it was modified after the high-water mark (Glue's S3
bookmarks are timestamp based; a mark in the future is how a bookmark "sticks").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from localaws.dispatch import Ctx, override
from localaws.glue.exceptions import EntityNotFoundException
from localaws.glue.state import glue_state, jsonable, lock

ENABLE, DISABLE, PAUSE = "job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause"


@dataclass
class InputMark:
    files: dict[str, str] = field(default_factory=dict)  # key -> etag
    high_water: float | None = None  # epoch seconds; files modified at/before it are "seen"


@dataclass
class Bookmark:
    job_name: str
    version: int = 0
    run: int = 0
    attempt: int = 0
    previous_run_id: str | None = None
    run_id: str | None = None
    inputs: dict[str, InputMark] = field(default_factory=dict)
    # the bookmark as each successful run left it (ResetJobBookmark with RunId rewinds to one)
    history: dict[str, dict[str, InputMark]] = field(default_factory=dict)

    def entry(self) -> dict[str, Any]:
        """``JobBookmarkEntry`` as GetJobBookmark/ResetJobBookmark return it."""
        payload = {
            name: {
                "jsonClass": "HadoopDataSourceJobBookmarkState",
                "timestamps": {"RUN": str(self.run), "HIGH_BAND": str(int((m.high_water or 0) * 1000))},
                "processedFiles": len(m.files),
                "version": self.version,
            }
            for name, m in sorted(self.inputs.items())
        }
        d = {
            "JobName": self.job_name,
            "Version": self.version,
            "Run": self.run,
            "Attempt": self.attempt,
            "PreviousRunId": self.previous_run_id,
            "RunId": self.run_id,
            "JobBookmark": json.dumps(payload),
        }
        return jsonable(d)


def option(args: dict[str, str]) -> str:
    """The run's bookmark option (Glue's default is disabled); bad values fail the run."""
    value = args.get("--job-bookmark-option", DISABLE)
    if value not in (ENABLE, DISABLE, PAUSE):
        raise ValueError(
            f"Invalid value for --job-bookmark-option: {value} (use {ENABLE}, {DISABLE} or {PAUSE})")
    return value


def _mtime(f: Any) -> float:
    lm = getattr(f, "last_modified", None)
    if isinstance(lm, datetime):
        return lm.timestamp()
    return float(lm or 0.0)


def unprocessed(bookmark: Bookmark | None, input_name: str, files: Iterable[Any], opt: str) -> list[Any]:
    """The files of ``input_name`` this run reads (all of them unless bookmarks are on/paused)."""
    files = list(files)
    if opt == DISABLE or bookmark is None:
        return files
    mark = bookmark.inputs.get(input_name)
    if mark is None:
        return files
    out = []
    for f in files:
        if mark.files.get(f.key) == f.etag:
            continue
        if mark.high_water is not None and _mtime(f) <= mark.high_water:
            continue
        out.append(f)
    return out


def advance(ctx: Ctx, job_name: str, run_id: str, processed: dict[str, list[Any]], opt: str) -> None:
    """After a SUCCEEDED run with bookmarks enabled: remember what it processed."""
    if opt != ENABLE:
        return
    st = glue_state(ctx)
    bm = st.bookmarks.get(job_name)
    if bm is None:
        bm = st.bookmarks[job_name] = Bookmark(job_name)
    bm.previous_run_id, bm.run_id = bm.run_id, run_id
    bm.run += 1
    bm.version += 1
    bm.attempt = 0
    for name, files in processed.items():
        mark = bm.inputs.setdefault(name, InputMark())
        for f in files:
            mark.files[f.key] = f.etag
    bm.history[run_id] = {k: InputMark(dict(m.files), m.high_water) for k, m in bm.inputs.items()}


def get_bookmark(ctx: Ctx, job_name: str) -> Bookmark | None:
    return glue_state(ctx).bookmarks.get(job_name)


def _require_job(ctx: Ctx, name: str) -> None:
    if name not in ctx.backend("glue").jobs:
        raise EntityNotFoundException(f"Job with name {name} not found")


@override("glue", "GetJobBookmark", errors=(EntityNotFoundException,))
def h_get_job_bookmark(ctx: Ctx, params: dict) -> dict:
    name = params.get("JobName") or ""
    with lock(ctx):
        _require_job(ctx, name)
        bm = get_bookmark(ctx, name)
        if bm is None:
            raise EntityNotFoundException(f"Continuation for job {name} not found")
        return {"JobBookmarkEntry": bm.entry()}


@override("glue", "ResetJobBookmark", errors=(EntityNotFoundException,))
def h_reset_job_bookmark(ctx: Ctx, params: dict) -> dict:
    """AWS resets the bookmark to before the first run; a job with no bookmark yet (never ran
    with bookmarks) answers EntityNotFoundException, as measured on AWS (runbook PASSO 3)."""
    name = params.get("JobName") or ""
    with lock(ctx):
        _require_job(ctx, name)
        bm = get_bookmark(ctx, name)
        if bm is None:
            raise EntityNotFoundException(f"Continuation for job {name} not found")
        run_id = params.get("RunId")
        if run_id:   # rewind to the state that run left (AWS: "the bookmark is reset to that run")
            if run_id not in bm.history:
                raise EntityNotFoundException(f"Job run {run_id} of job {name} has no bookmark state")
            bm.inputs = {k: InputMark(dict(m.files), m.high_water) for k, m in bm.history[run_id].items()}
            bm.version += 1
            bm.previous_run_id, bm.run_id = bm.run_id, run_id
            return {"JobBookmarkEntry": bm.entry()}
        bm.inputs.clear()
        bm.version += 1
        bm.previous_run_id, bm.run_id = bm.run_id, None
        bm.run = 0
        bm.attempt = 0
        return {"JobBookmarkEntry": bm.entry()}
