"""What a Glue crawler or job needs from its role -- the required-permission model.

The knowledge lives in ``permissions.json`` next to this file (each entry: grants = actions x
resource templates, why, AWS source URL); this module only instantiates it for one crawler/job.
Shared by the static gate and the local AWS runtime, together with :mod:`tf_checks.iam`:

    reqs = crawler_requirements(region="us-east-1", account="123456789012",
                                database="datalake-pipeline-catalog-dev",
                                s3_targets=["s3://datalake-pipeline-bronze-dev/bronze/car_data/"],
                                table_names=["bronze_car_data"])
    missing = tf_checks.iam.missing_permissions(policies, reqs)

Decisions documented here:

* **Unknown account/region at plan time**: pass a placeholder string such as ``"${account_id}"``
  (any ``${...}``). It is copied into the ARNs verbatim; the evaluator treats identical
  placeholders on both sides as equal and a ``*`` as matching them; a concrete account in the
  policy against a placeholder requirement is "conditional" (cannot verify), never a pass.
* **s3:ListBucket and the prefix**: ListBucket is authorized on the *bucket* ARN; policies scope
  it to a prefix with the ``s3:prefix`` condition key. Each ListBucket requirement carries
  ``context={"s3:prefix": <target prefix>}`` so that a ``StringLike``/``StringEquals`` condition
  on ``s3:prefix`` is decided exactly (true -> granted, false -> missing); any other condition on
  it stays "conditional".
* **Objects under a prefix** are required as ``arn:aws:s3:::bucket/prefix*`` -- a *pattern*
  requirement meaning every object under the prefix; a policy must cover all of it.
* **Spark ``_$folder$`` markers**: on write, Hadoop's S3 filesystem may create
  ``<prefix>_$folder$`` (e.g. ``car_telemetry_$folder$`` next to ``car_telemetry/``) and deletes
  it on overwrite. That object is a *sibling* of the prefix, so ``bucket/car_telemetry/*`` does not
  cover it; write and temp-dir requirements therefore use ``bucket/car_telemetry*`` (the prefix
  without its trailing ``/`` followed by ``*``). Source: the ``job.s3.write`` entry.
* **Bookmarks** need no extra permission (``job.bookmarks`` entry, Glue docs on job bookmarks):
  the function accepts ``bookmarks`` for completeness and adds nothing.
* **Glue catalog ARNs**: table/partition calls are authorized on the catalog, database and table
  ARNs together, so each catalog requirement lists all three.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping

from lakegate.errors import LakegateError

CRAWLER_LOG_GROUP = "/aws-glue/crawlers"
JOBS_LOG_GROUP_PATTERN = "/aws-glue/jobs/*"


@dataclass(frozen=True)
class Requirement:
    """One action on one resource (the resource may be a pattern for "every object under").

    ``context`` holds request condition keys the action is made with (``(("s3:prefix",
    "bronze/"),)``), used by the evaluator to decide simple conditions. ``entry`` is the key of
    the permissions.json entry it comes from."""

    action: str
    resource: str
    why: str
    source: str
    context: tuple[tuple[str, str], ...] = ()
    entry: str = ""


@lru_cache(maxsize=1)
def permission_table() -> dict[str, dict[str, Any]]:
    """The entries of permissions.json (validated once)."""
    raw = resources.files("tf_checks.requirements").joinpath("permissions.json").read_text()
    data = json.loads(raw)
    entries = data["entries"]
    for key, e in entries.items():
        if not e.get("why") or not str(e.get("source", "")).startswith("https://"):
            raise LakegateError(f"permission entry {key!r} lacks a why or an https source",
                                where="tf_checks/requirements/permissions.json")
        for g in e["grants"]:
            if bool(g["actions"]) != bool(g["resources"]):
                raise LakegateError(f"permission entry {key!r} has actions without resources "
                                    "or the reverse",
                                    where="tf_checks/requirements/permissions.json")
    return entries


from lakegate.s3url import parse_s3_url  # noqa: E402 (the one S3 URL parser)


def _norm(parts: tuple[str, str]) -> tuple[str, str]:
    """(bucket, prefix) with the prefix's trailing '/' removed, for comparing locations."""
    return parts[0], _stem(parts[1])


def _stem(prefix: str) -> str:
    return prefix[:-1] if prefix.endswith("/") else prefix


def _instantiate(entry_key: str, values: Mapping[str, str]) -> list[Requirement]:
    items = tuple(sorted(values.items()))
    try:
        return list(_instantiate_cached(entry_key, items))
    except TypeError:  # an unhashable value: same result, just not cached
        return list(_instantiate_cached.__wrapped__(entry_key, items))


@lru_cache(maxsize=1 << 14)
def _instantiate_cached(entry_key: str, items: tuple[tuple[str, str], ...]) -> tuple[Requirement, ...]:
    """Why cached: the crawlers/jobs of a large plan share most values (account, region,
    database, log groups), and Requirement is immutable, so equal inputs can share the result."""
    values = dict(items)
    why, source, grants = _compiled_entry(entry_key)
    out = []
    for ctx_items, resources, actions in grants:
        ctx = tuple((k, v.format(**values)) for k, v in ctx_items)
        for res in resources:
            resource = res.format(**values)
            out += [Requirement(action, resource, why, source, ctx, entry_key) for action in actions]
    return tuple(out)


@lru_cache(maxsize=None)
def _compiled_entry(entry_key: str) -> tuple[str, str, tuple[tuple[tuple[tuple[str, str], ...],
                                                                  tuple[str, ...], tuple[str, ...]], ...]]:
    """An entry of permissions.json as tuples; context keys sorted once (keys are unique, so
    sorting (key, value) pairs is sorting by key)."""
    e = permission_table()[entry_key]
    return e["why"], e["source"], tuple(
        (tuple(sorted(g.get("context", {}).items())), tuple(g["resources"]), tuple(g["actions"]))
        for g in e["grants"])


def _dedupe(reqs: Iterable[Requirement]) -> list[Requirement]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in reqs:
        key = (r.action.lower(), r.resource)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise LakegateError(f"{what} must be a non-empty string, got {value!r}",
                            fix=f"pass the {what} (or a placeholder such as '${{{what}}}')")
    return value


def crawler_requirements(*, partition: str = "aws", region: str, account: str, database: str,
                         s3_targets: list[str], table_names: list[str] | None = None,
                         log_group: str = CRAWLER_LOG_GROUP) -> list[Requirement]:
    """Everything a crawler with these S3 targets and this catalog database needs.

    ``table_names``: the tables the crawler writes (when known, e.g. computed from prefix +
    path); None -> every table of the database (``table/<db>/*``)."""
    base = {"partition": _check_name(partition, "partition"),
            "region": _check_name(region, "region"),
            "account": _check_name(account, "account"),
            "database": _check_name(database, "database"), "log_group": log_group}
    reqs: list[Requirement] = []
    reqs += _instantiate("crawler.catalog.database", base)
    for table in (table_names if table_names else ["*"]):
        reqs += _instantiate("crawler.catalog.tables", {**base, "table": table})
    if not s3_targets:
        raise LakegateError("crawler has no S3 target", fix="give the crawler an s3_target path")
    for url in s3_targets:
        bucket, prefix = parse_s3_url(url, what="crawler S3 target")
        vals = {**base, "bucket": bucket, "prefix": prefix, "prefix_stem": _stem(prefix)}
        reqs += _instantiate("crawler.s3.list", vals)
        reqs += _instantiate("crawler.s3.read", vals)
    reqs += _instantiate("crawler.logs", base)
    return _dedupe(reqs)


def job_requirements(*, partition: str = "aws", region: str, account: str,
                     database: str | None, catalog_reads: list[tuple[str, str]],
                     catalog_writes: list[tuple[str, str]], s3_reads: list[str],
                     s3_writes: list[str], temp_dir: str | None, script_location: str,
                     s3_deletes: Iterable[str] = (), s3_lists: Iterable[str] = (),
                     extra_s3_reads: Iterable[str] = (), enable_catalog: bool,
                     log_groups: list[str], bookmarks: bool,
                     enable_metrics: bool = False) -> list[Requirement]:
    """Everything a Glue job needs from its arguments.

    ``catalog_reads``/``catalog_writes``: ``(database, table)`` pairs. ``s3_reads``/
    ``s3_writes``/``s3_deletes``/``s3_lists``/``temp_dir``: ``s3://bucket/prefix/`` URLs. A read
    needs GetObject + ListBucket, a write PutObject (+ ListBucket: Spark checks the output path
    exists), only a delete (``mode("overwrite")``, ``purge_s3_path``, boto3 ``delete_object``)
    needs DeleteObject, a listing ListBucket on the prefix. ``script_location`` and
    ``extra_s3_reads`` (e.g. ``--sql_path``): objects the job downloads -- an URL ending in ``/``
    means every object under it. ``log_groups``: the job's own log groups (``/aws-glue/jobs/*``
    is always required). ``database``: the job's ``--database_name`` (its GetDatabase is required
    when the catalog is enabled). ``bookmarks``: needs nothing extra (see module docstring).
    ``enable_metrics``: ``--enable-metrics`` -> cloudwatch:PutMetricData on ``*``.
    """
    base = {"partition": _check_name(partition, "partition"),
            "region": _check_name(region, "region"),
            "account": _check_name(account, "account")}
    reqs: list[Requirement] = []
    for url in [script_location, *extra_s3_reads]:
        bucket, key = parse_s3_url(url, what="job script/file location")
        if not key:
            raise LakegateError(f"job file location {url!r} names a bucket, not an object",
                                where=url, fix="point it at the object, e.g. s3://b/jobs/x.py")
        reqs += _instantiate("job.script", {**base, "bucket": bucket,
                                            "key": key + "*" if key.endswith("/") else key})
    for url in s3_reads:
        bucket, prefix = parse_s3_url(url, what="job S3 read path")
        reqs += _instantiate("job.s3.read", {**base, "bucket": bucket, "prefix": prefix,
                                             "prefix_stem": _stem(prefix)})
    for url in s3_writes:
        bucket, prefix = parse_s3_url(url, what="job S3 write path")
        reqs += _instantiate("job.s3.write", {**base, "bucket": bucket, "prefix": prefix,
                                              "prefix_stem": _stem(prefix)})
    written = {tuple(_norm(parse_s3_url(u, what="job S3 write path"))) for u in s3_writes}
    for url in s3_deletes:
        bucket, prefix = parse_s3_url(url, what="job S3 delete path")
        also_written = (bucket, _norm((bucket, prefix))[1]) in written
        reqs += _instantiate("job.s3.delete", {**base, "bucket": bucket, "prefix": prefix,
                                               "prefix_stem": _stem(prefix),
                                               "delete_prefix": _stem(prefix) if also_written else prefix})
    for url in s3_lists:
        bucket, prefix = parse_s3_url(url, what="job S3 list path")
        reqs += _instantiate("job.s3.list", {**base, "bucket": bucket, "prefix": prefix,
                                             "prefix_stem": _stem(prefix)})
    if temp_dir:
        bucket, prefix = parse_s3_url(temp_dir, what="--TempDir")
        reqs += _instantiate("job.temp_dir", {**base, "bucket": bucket, "prefix": prefix,
                                              "prefix_stem": _stem(prefix)})
    if enable_catalog:
        reqs += _instantiate("job.catalog.default_database", base)
        if database:
            reqs += [r for r in _instantiate("job.catalog.read",
                                             {**base, "database": database, "table": "*"})
                     if r.action == "glue:GetDatabase"]
    for db, table in catalog_reads:
        reqs += _instantiate("job.catalog.read", {**base, "database": _check_name(db, "database"),
                                                  "table": _check_name(table, "table")})
    for db, table in catalog_writes:
        reqs += _instantiate("job.catalog.write", {**base, "database": _check_name(db, "database"),
                                                   "table": _check_name(table, "table")})
    for lg in [*log_groups, JOBS_LOG_GROUP_PATTERN]:
        reqs += _instantiate("job.logs", {**base, "log_group": lg})
    if enable_metrics:
        reqs += _instantiate("job.metrics", base)
    if bookmarks:
        reqs += _instantiate("job.bookmarks", base)  # empty by design: documents the decision
    return _dedupe(reqs)


__all__ = ["Requirement", "crawler_requirements", "job_requirements", "parse_s3_url",
           "permission_table", "CRAWLER_LOG_GROUP", "JOBS_LOG_GROUP_PATTERN"]
