"""The typed plan model every rule reads.

Why a model of our own: rules must be small and pure, so they should never walk raw
``terraform show -json`` output. The loader (:mod:`tf_checks.loader`) builds one :class:`Plan`
in a single pass: every resource instance (root and child modules, ``count``/``for_each``
instances) with its planned values, the parts still unknown at plan time, the planned actions and
the ``configuration`` expressions (with their references) of the block that declared it.
:class:`Plan` keeps address/type indexes so that rules join resources in O(1) instead of
scanning (the gate must stay within 2x a bare ``json.load`` on 10,000-resource plans).

The typed views (:class:`Crawler`, :class:`Job`, ...) are thin read-only accessors over
``Resource.values`` — no copies — that tolerate wrong types (a malformed value reads as
``None``; the rules turn ``None`` into a "cannot verify" finding, never into a pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

# Actions that mean the resource exists after apply.
LIVE_ACTIONS = frozenset({"create", "update", "no-op", "read", ""})


@dataclass(slots=True)
class Resource:
    """One resource instance of the plan (or state).

    ``values`` are the planned after-values (state: the current values); ``after_unknown``
    mirrors their shape with ``True`` where the value is only known after apply; ``config`` is
    the ``expressions`` object of the declaring block in ``configuration`` (``None`` when the
    input has no configuration, e.g. a state file).
    """

    address: str
    mode: str                     # "managed" | "data"
    type: str
    name: str
    module: str                   # "" for root, else e.g. 'module.etl' or 'module.etl["a"]'
    index: Any                    # count index (int), for_each key (str) or None
    values: dict[str, Any]
    after_unknown: dict[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    before: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    json_path: str = ""           # where the values were read (for error messages)

    @property
    def kind(self) -> str:
        """``aws_s3_bucket`` for managed resources, ``data.aws_iam_policy_document`` for data."""
        return f"data.{self.type}" if self.mode == "data" else self.type

    @property
    def deleted(self) -> bool:
        """True when the plan removes the resource (and does not re-create it)."""
        return "delete" in self.actions and "create" not in self.actions

    @property
    def changed(self) -> bool:
        """True when apply will create, update or replace the resource."""
        return any(a in ("create", "update", "delete") for a in self.actions)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def unknown(self, key: str) -> bool:
        """True when the top-level attribute ``key`` is (wholly) unknown at plan time."""
        return self.after_unknown.get(key) is True

    def refs(self, key: str) -> list[str]:
        """The configuration references of the top-level attribute ``key`` (may be empty)."""
        expr = (self.config or {}).get(key)
        if isinstance(expr, dict):
            refs = expr.get("references")
            if isinstance(refs, list):
                return [r for r in refs if isinstance(r, str)]
        return []


@dataclass
class Plan:
    """All resources of one input plus the indexes rules use."""

    kind: str                       # "plan" | "state" | "tfstate"
    source: str                     # file the plan came from (for messages)
    resources: list[Resource]
    variables: dict[str, Any] = field(default_factory=dict)
    tf_dir: Path | None = None
    module_sources: dict[str, str] = field(default_factory=dict)  # 'module.a.module.b' -> source
    # provider_keys / provider_configs / outputs / module_args of the plan's configuration
    # (tf_checks.loader._config_index); empty for state inputs
    config_extra: dict[str, Any] = field(default_factory=dict)
    by_address: dict[str, Resource] = field(default_factory=dict, init=False)
    by_kind: dict[str, list[Resource]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for res in self.resources:
            self.by_address[res.address] = res
            self.by_kind.setdefault(res.kind, []).append(res)

    def of(self, kind: str, *, live: bool = True) -> list[Resource]:
        """Resources of ``kind`` (``aws_glue_job``, ``data.aws_iam_policy_document``).

        ``live`` drops resources the plan deletes.
        """
        items = self.by_kind.get(kind, [])
        return [r for r in items if not r.deleted] if live else list(items)

    def get(self, address: str) -> Resource | None:
        return self.by_address.get(address)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)


# --------------------------------------------------------------------------- helpers

def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def first_block(value: Any) -> dict[str, Any]:
    """Nested blocks are lists of objects in plan JSON; return the first (or ``{}``)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


from lakegate.s3url import split_s3_url  # noqa: E402,F401 (the one S3 URL parser)


# --------------------------------------------------------------------------- typed views

@dataclass(frozen=True, slots=True)
class Crawler:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))

    @property
    def role(self) -> str | None:
        return as_str(self.res.get("role"))

    @property
    def database_name(self) -> str | None:
        return as_str(self.res.get("database_name"))

    @property
    def table_prefix(self) -> str:
        return as_str(self.res.get("table_prefix")) or ""

    @property
    def s3_paths(self) -> list[str | None]:
        """The ``s3_target`` paths, ``None`` for entries that are unknown or malformed."""
        return [as_str(as_dict(t).get("path")) for t in as_list(self.res.get("s3_target"))]

    @property
    def configuration(self) -> str | None:
        return as_str(self.res.get("configuration"))


@dataclass(frozen=True, slots=True)
class Job:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))

    @property
    def role(self) -> str | None:
        return as_str(self.res.get("role_arn"))

    @property
    def script_location(self) -> str | None:
        return as_str(first_block(self.res.get("command")).get("script_location"))

    @property
    def arguments(self) -> dict[str, Any]:
        return as_dict(self.res.get("default_arguments"))

    @property
    def short_name(self) -> str | None:
        """``silver_consolidation`` from the script location ``.../silver_consolidation.py``."""
        loc = self.script_location
        if not loc:
            return None
        base = loc.rstrip("/").rsplit("/", 1)[-1]
        return base[:-3] if base.endswith(".py") else base

    @property
    def bookmarks_enabled(self) -> bool:
        return self.arguments.get("--job-bookmark-option") == "job-bookmark-enable"


@dataclass(frozen=True, slots=True)
class TriggerAction:
    job_name: str | None
    crawler_name: str | None

    @property
    def target(self) -> str | None:
        return self.job_name or self.crawler_name


@dataclass(frozen=True, slots=True)
class TriggerCondition:
    job_name: str | None
    crawler_name: str | None
    state: str | None
    crawl_state: str | None


@dataclass(frozen=True, slots=True)
class Trigger:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))

    @property
    def type(self) -> str | None:
        return as_str(self.res.get("type"))

    @property
    def workflow_name(self) -> str | None:
        return as_str(self.res.get("workflow_name"))

    @property
    def is_start(self) -> bool:
        return self.type in ("ON_DEMAND", "SCHEDULED", "EVENT")

    @property
    def actions(self) -> list[TriggerAction]:
        return [TriggerAction(as_str(as_dict(a).get("job_name")), as_str(as_dict(a).get("crawler_name")))
                for a in as_list(self.res.get("actions"))]

    @property
    def conditions(self) -> list[TriggerCondition]:
        pred = first_block(self.res.get("predicate"))
        out = []
        for c in as_list(pred.get("conditions")):
            c = as_dict(c)
            # the provider reads unset condition fields back from AWS as "" (a plan over existing
            # state shows them so): empty means unset, exactly like null
            out.append(TriggerCondition(as_str(c.get("job_name")) or None,
                                        as_str(c.get("crawler_name")) or None,
                                        as_str(c.get("state")) or None,
                                        as_str(c.get("crawl_state")) or None))
        return out

    @property
    def logical(self) -> str:
        return as_str(first_block(self.res.get("predicate")).get("logical")) or "AND"


@dataclass(frozen=True, slots=True)
class Workflow:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))


@dataclass(frozen=True, slots=True)
class Role:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))

    @property
    def path(self) -> str:
        return as_str(self.res.get("path")) or "/"

    @property
    def inline_policies(self) -> list[tuple[str | None, str | None]]:
        """``inline_policy`` blocks: (name, policy JSON or None when unknown)."""
        return [(as_str(as_dict(p).get("name")), as_str(as_dict(p).get("policy")))
                for p in as_list(self.res.get("inline_policy"))]

    @property
    def managed_policy_arns(self) -> list[str]:
        return [a for a in as_list(self.res.get("managed_policy_arns")) if isinstance(a, str)]


@dataclass(frozen=True, slots=True)
class RolePolicy:
    """``aws_iam_role_policy`` (inline policy as a separate resource)."""

    res: Resource

    @property
    def role(self) -> str | None:
        return as_str(self.res.get("role"))

    @property
    def policy(self) -> str | None:
        return as_str(self.res.get("policy"))


@dataclass(frozen=True, slots=True)
class Attachment:
    """``aws_iam_role_policy_attachment``."""

    res: Resource

    @property
    def role(self) -> str | None:
        return as_str(self.res.get("role"))

    @property
    def policy_arn(self) -> str | None:
        return as_str(self.res.get("policy_arn"))


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """``aws_iam_policy`` (customer managed)."""

    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))

    @property
    def path(self) -> str:
        return as_str(self.res.get("path")) or "/"

    @property
    def arn(self) -> str | None:
        return as_str(self.res.get("arn"))

    @property
    def policy(self) -> str | None:
        return as_str(self.res.get("policy"))


@dataclass(frozen=True, slots=True)
class Bucket:
    res: Resource

    @property
    def bucket(self) -> str | None:
        return as_str(self.res.get("bucket"))


@dataclass(frozen=True, slots=True)
class S3Object:
    res: Resource

    @property
    def bucket(self) -> str | None:
        return as_str(self.res.get("bucket"))

    @property
    def key(self) -> str | None:
        return as_str(self.res.get("key"))

    @property
    def source(self) -> str | None:
        return as_str(self.res.get("source"))

    @property
    def content(self) -> str | None:
        return as_str(self.res.get("content"))


@dataclass(frozen=True, slots=True)
class CatalogDatabase:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))


@dataclass(frozen=True, slots=True)
class CatalogTable:
    res: Resource

    @property
    def name(self) -> str | None:
        return as_str(self.res.get("name"))

    @property
    def database_name(self) -> str | None:
        return as_str(self.res.get("database_name"))


@dataclass(frozen=True, slots=True)
class PolicyDocumentData:
    """``data.aws_iam_policy_document``: the rendered ``json`` and the planned statements."""

    res: Resource

    @property
    def json(self) -> str | None:
        return as_str(self.res.get("json"))

    @property
    def statements(self) -> list[dict[str, Any]]:
        return [s for s in as_list(self.res.get("statement")) if isinstance(s, dict)]
