"""The gate's settings that come from outside the plan: ``--account-id``, ``--iam-snapshot``
and the ``[gate]`` table of ``lakegate.toml``.

Why a file setting as well as flags: a CI job runs ``lakegate check`` with the same flags on
every change; the account a configuration deploys to and the IAM export of the roles it uses but
does not manage belong next to the Terraform directory. Looked up in ``<tf_dir>/lakegate.toml``,
then ``./lakegate.toml`` (``$LAKEGATE_CONFIG`` names another file); flags win.

``[gate]`` keys read here: ``account_id`` (12 digits), ``iam_snapshot`` (path, relative to the
toml file, of ``aws iam get-account-authorization-details`` output).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lakegate.errors import LakegateError

_ACCOUNT_RE = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class GateSettings:
    account_id: str | None = None
    iam_snapshot: Path | None = None


def _toml_files(tf_dir: Path | None, config: Path | None = None) -> list[Path]:
    if config is not None:
        return [Path(config)]
    files = []
    if tf_dir is not None:
        files.append(Path(tf_dir) / "lakegate.toml")
    env = os.environ.get("LAKEGATE_CONFIG")
    files.append(Path(env) if env else Path.cwd() / "lakegate.toml")
    return files


def load_settings(tf_dir: Path | None, *, account_id: str | None = None,
                  iam_snapshot: Path | None = None, config: Path | None = None) -> GateSettings:
    """Flags first, then the first ``lakegate.toml`` with a ``[gate]`` value (only ``config``
    when given). Bad values exit 2."""
    acct, snap = account_id, iam_snapshot
    for path in _toml_files(tf_dir, config):
        if acct is not None and snap is not None:
            break
        if not path.is_file():
            continue
        try:
            gate = tomllib.loads(path.read_text(encoding="utf-8")).get("gate") or {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise LakegateError(f"cannot read {path}: {err}", where=str(path),
                                fix="fix the TOML syntax") from None
        if not isinstance(gate, dict):
            raise LakegateError("[gate] must be a table", where=str(path), fix="write [gate] on its own line")
        if acct is None and gate.get("account_id") is not None:
            acct = str(gate["account_id"])
            where = f"{path} [gate] account_id"
            if not _ACCOUNT_RE.match(acct):
                raise LakegateError(f"account_id {acct!r} is not a 12-digit AWS account id",
                                    where=where, fix="write it as a string of 12 digits")
        if snap is None and gate.get("iam_snapshot") is not None:
            if not isinstance(gate["iam_snapshot"], str):
                raise LakegateError("iam_snapshot must be a path string", where=f"{path} [gate]",
                                    fix='iam_snapshot = "iam-export.json"')
            snap = (path.parent / gate["iam_snapshot"]).resolve()
    if acct is not None and not _ACCOUNT_RE.match(acct):
        raise LakegateError(f"--account-id {acct!r} is not a 12-digit AWS account id",
                            where="--account-id", fix="pass the 12 digits of the account")
    if snap is not None and not Path(snap).is_file():
        raise LakegateError(f"the IAM snapshot {snap} does not exist", where=str(snap),
                            fix="write it with 'aws iam get-account-authorization-details "
                                "--output json > FILE' or fix the path")
    return GateSettings(acct, Path(snap) if snap is not None else None)
