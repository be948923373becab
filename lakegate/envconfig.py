"""Environments declared in configuration (``lakegate.toml``), and boto3 clients for them.

```toml
[environments.local]          # built in; may be overridden
kind = "local"                # the embedded local AWS (endpoint from `lakegate local up`)

[environments.prod]
kind = "aws"                  # live AWS with standard credentials
profile = "data-prod"         # optional; else the default credential chain
region = "us-east-1"          # optional; else AWS_REGION / AWS_DEFAULT_REGION / the profile's region
endpoint_url = "http://localhost:4566"   # optional; else AWS_ENDPOINT_URL (LocalStack, a local AWS)
protected = true              # bookmark reset / stopping a run need explicit flags
outputs = "deploy/prod-outputs.json"   # `terraform output -json`, a state JSON or terraform.tfstate

[environments.prod.waivers]   # checklist items allowed to be SKIP / NOT RUN, each with its reason
AA2 = "bookmarks are reset by the data team's own job (CHG-1234)"

[waivers]                     # waivers for every environment (same form)
```

Live and local differ only in endpoint and credentials: :class:`Clients` returns the same boto3
clients for both (botocore *standard* retries, so throttling is retried with backoff). For a live
environment the endpoint is ``endpoint_url`` from the file, else whatever boto3 itself reads
(``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``, the profile's ``endpoint_url``), else AWS.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
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
    region: str | None = None         # None: the standard chain (AWS_REGION, profile), else us-east-1
    profile: str | None = None
    protected: bool = False
    outputs: Path | None = None       # outputs/state file with the pipeline names
    tf_dir: Path | None = None        # None: the reference pipeline (checkout or wheel)
    endpoint_url: str | None = None   # None: AWS_ENDPOINT_URL or the real AWS endpoints
    waivers: dict[str, str] = field(default_factory=dict)   # checklist id -> reason
    workflow: str | None = None       # the pipeline's Glue workflow, when the account has several
    seed: Path | None = None          # hand-written seed files for the ingestion crawler's S3 target

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    @property
    def fault_capable(self) -> bool:
        """Faults (P1-P5, S1 rehearsals) can be injected only into the embedded local AWS."""
        return self.is_local

    def terraform_dir(self) -> Path:
        if self.tf_dir is not None:
            return self.tf_dir
        from lakegate.resources import reference_tf_dir

        return reference_tf_dir()

    def resolved_region(self) -> str:
        """``region`` from the file, else the standard chain (env, profile), else us-east-1."""
        if self.region:
            return self.region
        if self.is_local:
            return "us-east-1"
        try:
            found = boto_session(self).region_name
        except LakegateError:
            found = None
        return found or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


BUILTIN = {"local": Environment(name="local", kind="local")}
SETTINGS = ("kind", "region", "profile", "protected", "outputs", "tf_dir", "endpoint_url", "waivers",
            "workflow", "seed")


def parse_waivers(spec: Any, where: str) -> dict[str, str]:
    """``{ITEM = "reason"}`` → dict; unknown ids and empty reasons are errors (a waiver must say why)."""
    from lakegate import checklist

    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise LakegateError("waivers must be a table of checklist id = \"reason\"", where=where,
                            fix='write e.g. [environments.prod.waivers] then AA2 = "reset by the data team (CHG-1)"')
    out = {}
    for key, reason in spec.items():
        if key not in checklist.BY_ID:
            raise LakegateError(f"waiver for unknown checklist item {key!r}", where=where,
                                fix=f"checklist ids: {', '.join(checklist.BY_ID)}")
        if not isinstance(reason, str) or not reason.strip():
            raise LakegateError(f"the waiver of {key} has no reason", where=where,
                                fix=f'{key} = "why this item may be skipped (ticket, owner)"')
        out[key] = reason.strip()
    return out


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
    common_waivers = parse_waivers(doc.get("waivers"), f"{path}: [waivers]")
    if not isinstance(table, dict):
        raise LakegateError("[environments] must be a table of tables", where=str(path),
                            fix="declare each environment as [environments.NAME]")
    base = Path(path).parent
    for name, spec in table.items():
        where = f"{path}: [environments.{name}]"
        if not isinstance(spec, dict):
            raise LakegateError(f"environment {name!r} is not a table", where=where,
                                fix=f"write it as [environments.{name}] with kind = \"aws\" or \"local\"")
        unknown = set(spec) - set(SETTINGS)
        if unknown:
            raise LakegateError(f"unknown setting(s) {', '.join(sorted(unknown))}", where=where,
                                fix=f"allowed: {', '.join(SETTINGS)}")
        kind = spec.get("kind", "aws")
        if kind not in KINDS:
            raise LakegateError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", where=where,
                                fix='use kind = "aws" for live AWS or "local" for the embedded local AWS')
        if not isinstance(spec.get("protected", False), bool):
            raise LakegateError("protected must be true or false", where=where, fix="protected = true")
        outputs = spec.get("outputs")
        for key in ("region", "profile", "endpoint_url", "outputs", "tf_dir", "workflow", "seed"):
            if key in spec and (not isinstance(spec[key], str) or not spec[key].strip()):
                raise LakegateError(f"{key} must be a non-empty string", where=where, fix=f'{key} = "..."')
        endpoint = spec.get("endpoint_url")
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise LakegateError(f"endpoint_url {endpoint!r} is not an http(s) URL", where=where,
                                fix='endpoint_url = "http://localhost:4566" (or leave it out for AWS)')
        waivers = dict(common_waivers)
        waivers.update(parse_waivers(spec.get("waivers"), f"{where}.waivers"))
        envs[name] = Environment(
            name=name, kind=kind, region=spec.get("region"),
            profile=spec.get("profile"), protected=spec.get("protected", False),
            outputs=(base / outputs) if outputs else None,
            # a live workspace's Terraform lives next to its lakegate.toml; local defaults to the reference
            tf_dir=(base / spec["tf_dir"]) if spec.get("tf_dir") else (None if kind == "local" else base / "terraform"),
            endpoint_url=endpoint, waivers=waivers, workflow=spec.get("workflow"),
            seed=(base / spec["seed"]) if spec.get("seed") else None,
        )
    if common_waivers:
        for name, env in list(envs.items()):
            if name not in table:
                envs[name] = Environment(**{**env.__dict__, "waivers": {**common_waivers, **env.waivers}})
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
    from botocore.exceptions import ProfileNotFound

    if env.is_local:
        return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                     region_name=env.region or "us-east-1")
    try:
        return boto3.session.Session(profile_name=env.profile, region_name=env.region)
    except ProfileNotFound:
        raise LakegateError(f"AWS profile {env.profile!r} is not configured", where=f"[environments.{env.name}] profile",
                            fix="configure it (aws configure --profile NAME / SSO) or remove profile to use the "
                                "default credential chain") from None


#: botocore's *standard* retry mode: throttling (ThrottlingException, TooManyRequestsException …)
#: and transient errors are retried with exponential backoff and jitter; 10 attempts cover the
#: bursts a Glue account sees when a workflow and a smoke run poll at once.
RETRY_ATTEMPTS = 10


def client_config() -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": RETRY_ATTEMPTS}, connect_timeout=10, read_timeout=60)


class Clients:
    """Lazily created boto3 clients for one environment (same code path live and local)."""

    def __init__(self, env: Environment, endpoint: str | None = None, session: Any = None) -> None:
        self.env = env
        if endpoint is None:
            endpoint = local_endpoint() if env.is_local else env.endpoint_url
        # None for a live environment lets boto3 apply AWS_ENDPOINT_URL / the profile's endpoint_url.
        self.endpoint = endpoint
        self._session = session or boto_session(env)
        self._cache: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._cache:
            self._cache[service] = self._session.client(service, endpoint_url=self.endpoint, config=client_config())
        return self._cache[service]
