"""Environments declared in configuration (``lakegate.toml``), and boto3 clients for them.

```toml
[environments.local]          # built in; may be overridden
kind = "local"                # the embedded local AWS (endpoint from `lakegate local up`)

[environments.prod]
kind = "aws"                  # live AWS with standard credentials
profile = "data-prod"         # optional; else the default credential chain
region = "us-east-1"
protected = true              # bookmark reset / stopping a run need explicit flags
outputs = "deploy/prod-outputs.json"   # `terraform output -json`, a state JSON or terraform.tfstate
```

Live and local differ only in endpoint and credentials: :func:`clients` returns the same boto3
clients for both (botocore *standard* retries, so throttling is retried with backoff).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError

CONFIG_ENV = "LAKEGATE_CONFIG"
DEFAULT_CONFIG = "lakegate.toml"
KINDS = ("local", "aws")


@dataclass(frozen=True)
class Environment:
    name: str
    kind: str = "local"
    region: str = "us-east-1"
    profile: str | None = None
    protected: bool = False
    outputs: Path | None = None       # outputs/state file with the pipeline names
    tf_dir: Path = Path("terraform")

    @property
    def is_local(self) -> bool:
        return self.kind == "local"


BUILTIN = {"local": Environment(name="local", kind="local")}


def config_path(start: Path | None = None) -> Path | None:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise LakegateError(f"{CONFIG_ENV} names {path}, which does not exist", where=f"${CONFIG_ENV}",
                                fix="point it at your lakegate.toml or unset it")
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        cand = folder / DEFAULT_CONFIG
        if cand.exists():
            return cand
    return None


def load_environments(path: Path | None = None) -> dict[str, Environment]:
    envs = dict(BUILTIN)
    path = path if path is not None else config_path()
    if path is None:
        return envs
    try:
        doc = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LakegateError(f"cannot read the environment configuration: {err}", where=str(path),
                            fix="fix the TOML syntax (see README, 'Environments')") from None
    table = doc.get("environments", {})
    if not isinstance(table, dict):
        raise LakegateError("[environments] must be a table of tables", where=str(path),
                            fix="declare each environment as [environments.NAME]")
    base = Path(path).parent
    for name, spec in table.items():
        where = f"{path}: [environments.{name}]"
        if not isinstance(spec, dict):
            raise LakegateError(f"environment {name!r} is not a table", where=where,
                                fix=f"write it as [environments.{name}] with kind = \"aws\" or \"local\"")
        unknown = set(spec) - {"kind", "region", "profile", "protected", "outputs", "tf_dir"}
        if unknown:
            raise LakegateError(f"unknown setting(s) {', '.join(sorted(unknown))}", where=where,
                                fix="allowed: kind, region, profile, protected, outputs, tf_dir")
        kind = spec.get("kind", "aws")
        if kind not in KINDS:
            raise LakegateError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", where=where,
                                fix='use kind = "aws" for live AWS or "local" for the embedded local AWS')
        if not isinstance(spec.get("protected", False), bool):
            raise LakegateError("protected must be true or false", where=where, fix="protected = true")
        outputs = spec.get("outputs")
        envs[name] = Environment(
            name=name, kind=kind, region=str(spec.get("region", "us-east-1")),
            profile=spec.get("profile"), protected=spec.get("protected", False),
            outputs=(base / outputs) if outputs else None,
            tf_dir=base / spec.get("tf_dir", "terraform"),
        )
    return envs


def get_environment(name: str, path: Path | None = None) -> Environment:
    envs = load_environments(path)
    if name not in envs:
        raise LakegateError(f"unknown environment {name!r}", where=str(config_path() or DEFAULT_CONFIG),
                            fix=f"declare [environments.{name}] in lakegate.toml; known: {', '.join(sorted(envs))}")
    return envs[name]


def local_endpoint() -> str:
    """The running local AWS endpoint, from the state file written by `lakegate local up`."""
    from lakegate import localenv  # client-side reader; does not import the local AWS package

    state = localenv.load_state()
    return str(state.endpoint)


def boto_session(env: Environment) -> Any:
    import boto3

    if env.is_local:
        return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                     region_name=env.region)
    return boto3.session.Session(profile_name=env.profile, region_name=env.region)


def client_config() -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=60)


class Clients:
    """Lazily created boto3 clients for one environment (same code path live and local)."""

    def __init__(self, env: Environment, endpoint: str | None = None, session: Any = None) -> None:
        self.env = env
        self.endpoint = endpoint if endpoint is not None else (local_endpoint() if env.is_local else None)
        self._session = session or boto_session(env)
        self._cache: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._cache:
            self._cache[service] = self._session.client(service, endpoint_url=self.endpoint, config=client_config())
        return self._cache[service]
