"""User-facing errors: what went wrong, where, and how to fix it.

Every error a user can cause (bad input, missing tool, unreachable endpoint) is raised as
:class:`LakegateError`; the CLI prints it without a traceback and exits with ``exit_code``
(2 by default: unusable input or environment).
"""

from __future__ import annotations


class LakegateError(Exception):
    """An error the user can act on.

    :param what: one sentence saying what went wrong.
    :param where: the file, JSON path, resource address or endpoint concerned (optional).
    :param fix: how to fix it (optional, but give one whenever you can).
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None,
                 exit_code: int = 2) -> None:
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix
        self.exit_code = exit_code

    def render(self) -> str:
        lines = [f"error: {self.what}"]
        if self.where:
            lines.append(f"  where: {self.where}")
        if self.fix:
            lines.append(f"  fix:   {self.fix}")
        return "\n".join(lines)
