"""``Job``: ``init`` turns job bookmarks on for the run (per ``transformation_ctx``),
``commit`` makes the local AWS remember what the run read (Glue advances the bookmark only on
commit of a successful run)."""

from __future__ import annotations

from typing import Any


class Job:
    def __init__(self, glue_context: Any) -> None:
        self.glue_context = glue_context
        self._name: str | None = None

    @classmethod
    def continuation_options(cls) -> list[str]:
        return ["--continuation-option", "continuation-enabled", "continuation-readonly", "continuation-ignore"]

    @classmethod
    def job_bookmark_options(cls) -> list[str]:
        return ["--job-bookmark-option", "job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause"]

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        from localaws.glue_runtime.sparkio import RUN

        self._name = job_name
        RUN.job_initialised = True
        RUN.info(f"job {job_name} initialised")

    def commit(self) -> None:
        from localaws.glue_runtime.sparkio import RUN

        if not RUN.job_initialised:
            raise RuntimeError("Job.commit() called before Job.init()")
        RUN.committed = True
        RUN.info(f"job {self._name} committed")

    def isInitialized(self) -> bool:
        from localaws.glue_runtime.sparkio import RUN

        return RUN.job_initialised


__all__ = ["Job"]
