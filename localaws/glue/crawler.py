"""Crawlers that crawl: StartCrawler/StopCrawler/GetCrawler(s)/BatchGetCrawlers/
GetCrawlerMetrics/ListCrawls answered the AWS way, and the crawl itself (S3 -> schema ->
tables and partitions in moto's catalog, logs in ``/aws-glue/crawlers``).

States: READY -> RUNNING -> STOPPING -> READY; ``LastCrawl.Status`` SUCCEEDED / CANCELLED /
FAILED (moto says COMPLETED/STOPPED), moved only through the tables of
:mod:`localaws.glue.lifecycles` (``CRAWLER``, ``CRAWL``). Timing comes from the runtime's profile.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

from localaws.dispatch import AwsError, Ctx, override
from localaws.glue.exceptions import CrawlerNotRunningException, CrawlerRunningException, CrawlerStoppingException, EntityNotFoundException
from localaws._lazy import lazy
from localaws.glue import naming
from localaws.glue.lifecycles import CRAWL, CRAWLER
from localaws.glue.state import (
    Crawl,
    background_ctx,
    duration,
    get_object,
    glue_state,
    jsonable,
    later,
    list_objects,
    lock,
    notify_finished,
    now,
    put_logs,
)

# pyarrow through schema_infer: imported on the first crawl, not at server start (localaws/_lazy.py)
schema_infer = lazy("localaws.glue.schema_infer")

LOG_GROUP = "/aws-glue/crawlers"


# --- the crawl ---------------------------------------------------------------------------------

@dataclass
class CrawlResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    partitions_added: int = 0
    files: int = 0
    messages: list[str] = field(default_factory=list)


class CrawlFailed(Exception):
    """The crawl ends FAILED with this message as ``LastCrawl.ErrorMessage``."""


def crawler_config(crawler: Any) -> dict[str, Any]:
    """The crawler's ``Configuration`` JSON (empty when unset); bad JSON fails the crawl."""
    if not crawler.configuration:
        return {}
    try:
        cfg = json.loads(crawler.configuration)
    except json.JSONDecodeError as exc:
        raise CrawlFailed(f"Crawler configuration is not valid JSON: {exc}") from exc
    return cfg if isinstance(cfg, dict) else {}


def _scan_target(ctx: Ctx, path: str, exclusions: list[str], result: CrawlResult) -> list[schema_infer.DataFile]:
    import fnmatch

    bucket, prefix = naming.parse_s3_url(path)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    files = []
    for obj in list_objects(ctx, bucket, prefix):
        rel = obj.key[len(prefix):]
        if not naming.is_data_key(rel) or any(fnmatch.fnmatch(rel, ex) for ex in exclusions):
            continue
        data = get_object(ctx, bucket, obj.key)
        read = schema_infer.read_schema(rel, data)
        if read is None:
            result.messages.append(f"WARN : Unable to classify s3://{bucket}/{obj.key}, skipping")
            continue
        files.append(schema_infer.DataFile(rel, read[0], read[1], obj.size))
    return files


def _storage_descriptor(location: str, columns: list[dict[str, str]], classification: str, params: dict[str, str]) -> dict[str, Any]:
    if classification == "parquet":
        fmt = (schema_infer.PARQUET_INPUT, schema_infer.PARQUET_OUTPUT, schema_infer.PARQUET_SERDE)
    else:
        fmt = (schema_infer.TEXT_INPUT, schema_infer.TEXT_OUTPUT, schema_infer.JSON_SERDE)
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": fmt[0],
        "OutputFormat": fmt[1],
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": {"SerializationLibrary": fmt[2], "Parameters": {"serialization.format": "1"}},
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": dict(params),
        "StoredAsSubDirectories": False,
    }


def crawl_once(ctx: Ctx, crawler: Any) -> CrawlResult:
    """Crawl every S3 target of ``crawler`` and write the catalog; caller holds the lock.

    Raises :class:`CrawlFailed` (IAM denial, missing database, bad configuration)."""
    from localaws.iam import enforce as iam_enforce

    glue = ctx.backend("glue")
    result = CrawlResult()
    cfg = crawler_config(crawler)
    combine = (cfg.get("Grouping") or {}).get("TableGroupingPolicy") == "CombineCompatibleSchemas"
    output = cfg.get("CrawlerOutput") or {}
    merge_new = (output.get("Tables") or {}).get("AddOrUpdateBehavior") == "MergeNewColumns"
    inherit = (output.get("Partitions") or {}).get("AddOrUpdateBehavior") == "InheritFromTable"
    policy = crawler.schema_change_policy or {}
    update_behavior = policy.get("UpdateBehavior", "UPDATE_IN_DATABASE")
    delete_behavior = policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE")
    db_name = crawler.database_name
    try:
        glue.get_database(db_name)
    except Exception as exc:
        raise CrawlFailed(f"Database {db_name} not found") from exc

    s3_targets = (crawler.targets or {}).get("S3Targets") or []
    plans: list[tuple[str, schema_infer.TablePlan]] = []
    for target in s3_targets:
        path = target.get("Path", "")
        try:
            bucket, prefix = naming.parse_s3_url(path)
        except ValueError as exc:
            raise CrawlFailed(str(exc)) from exc
        files = _scan_target(ctx, path, target.get("Exclusions") or [], result)
        result.files += len(files)
        if not files:
            result.messages.append(
                f"INFO : The crawler did not find any data in s3://{bucket}/{prefix} (empty path or no classifiable files); no tables created"
            )
            continue
        base = f"s3://{bucket}/{prefix}" if prefix.endswith("/") or not prefix else f"s3://{bucket}/{prefix}/"
        for plan in schema_infer.plan_tables(files, naming.folder_name(prefix, bucket), crawler.table_prefix, combine):
            plans.append((base + (plan.root + "/" if plan.root else ""), plan))

    try:
        iam_enforce.check_crawl(ctx, crawler, [t.get("Path", "") for t in s3_targets], [p.name for _, p in plans])
    except (iam_enforce.AccessDenied, iam_enforce.RoleUnusable) as exc:
        raise CrawlFailed(str(exc)) from exc
    seen = set()
    for location, plan in plans:
        seen.add(plan.name)
        _write_table(ctx, glue, crawler, db_name, location, plan, merge_new, inherit, update_behavior, result)

    # tables this crawler made earlier that are no longer there
    for table in list(glue.get_tables(db_name, None)):
        params = (table.as_dict().get("Parameters") or {})
        if params.get("UPDATED_BY_CRAWLER") != crawler.name or table.name in seen:
            continue
        if delete_behavior == "DELETE_FROM_DATABASE":
            glue.delete_table(db_name, table.name)
            result.deleted.append(table.name)
            result.messages.append(f"INFO : Deleted table {table.name} in database {db_name}")
        elif delete_behavior == "DEPRECATE_IN_DATABASE" and "DEPRECATED_BY_CRAWLER" not in params:
            tin = _table_input(table)
            tin.setdefault("Parameters", {})["DEPRECATED_BY_CRAWLER"] = "1"
            glue.update_table(db_name, table.name, tin)
            result.deleted.append(table.name)
            result.messages.append(f"INFO : Deprecated table {table.name} in database {db_name}")
        else:
            result.messages.append(f"INFO : Table {table.name} no longer has data; DeleteBehavior {delete_behavior}: left as is")
    return result


def _table_input(table: Any) -> dict[str, Any]:
    d = json.loads(json.dumps(table.as_dict(), default=str))
    for k in ("DatabaseName", "CreateTime", "UpdateTime", "VersionId", "CatalogId", "CreatedBy", "IsRegisteredWithLakeFormation"):
        d.pop(k, None)
    return d


def _write_table(ctx: Ctx, glue: Any, crawler: Any, db: str, location: str, plan: schema_infer.TablePlan,
                 merge_new: bool, inherit: bool, update_behavior: str, result: CrawlResult) -> None:
    part_keys = plan.partition_keys
    pending_update: dict[str, Any] | None = None   # an unchanged table, updated only if partitions change
    found_cols = schema_infer.glue_columns(plan.schema, exclude=set(part_keys))
    params = {
        "classification": plan.classification,
        "compressionType": "none",
        "typeOfData": "file",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "CrawlerSchemaSerializerVersion": "1.0",
        "UPDATED_BY_CRAWLER": crawler.name,
        "objectCount": str(len(plan.files)),
        "sizeKey": str(sum(f.size for f in plan.files)),
        "averageRecordSize": "0",
    }
    try:
        existing = glue.get_table(db, plan.name)
    except Exception:
        existing = None
    if existing is None:
        tin = {
            "Name": plan.name,
            "Owner": "owner",
            "Retention": 0,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in part_keys],
            "StorageDescriptor": _storage_descriptor(location, found_cols, plan.classification, params),
            "Parameters": params,
        }
        glue.create_table(db, plan.name, tin)
        result.created.append(plan.name)
        result.messages.append(f"INFO : Created table {plan.name} in database {db}")
        columns = found_cols
    else:
        tin = _table_input(existing)
        sd = tin.get("StorageDescriptor") or {}
        old_cols = sd.get("Columns") or []
        columns = schema_infer.merge_columns(old_cols, found_cols) if merge_new else found_cols
        if update_behavior == "LOG":
            if columns != old_cols:
                result.messages.append(
                    f"INFO : Schema change detected for table {plan.name} but SchemaChangePolicy.UpdateBehavior is LOG: catalog not updated"
                )
            columns = old_cols
        else:
            changed = columns != old_cols or sd.get("Location") != location
            tin["StorageDescriptor"] = _storage_descriptor(location, columns, plan.classification, params)
            tin["Parameters"] = {**(tin.get("Parameters") or {}), **params}
            tin["Parameters"].pop("DEPRECATED_BY_CRAWLER", None)
            if not tin.get("PartitionKeys") and part_keys:
                tin["PartitionKeys"] = [{"Name": k, "Type": "string"} for k in part_keys]
                changed = True
            # As Glue does: the table definition (and its UpdateTime) changes only when the schema,
            # the location or the partitions changed; a re-crawl of the same layout leaves it alone.
            if changed:
                glue.update_table(db, plan.name, tin)
                result.updated.append(plan.name)
                result.messages.append(f"INFO : Updated table {plan.name} in database {db} (columns {len(old_cols)} -> {len(columns)})")
            else:
                pending_update = tin
    if not plan.partitions:
        return
    table = glue.get_table(db, plan.name)
    # BatchGetPartition semantic: which of the found partitions exist already
    wanted = [{"Values": list(v)} for v in sorted(plan.partitions)]
    existing_parts = {tuple(p["Values"]) for p in glue.batch_get_partition(db, plan.name, wanted)}
    new_inputs, update_entries = [], []
    for values, folder in sorted(plan.partitions.items()):
        files = [f for f in plan.files if "/".join(f.folders) == folder]
        if inherit:
            pcols = columns
        else:
            merged = files[0].schema
            for f in files[1:]:
                merged = schema_infer.merge_schemas(merged, f.schema)
            pcols = schema_infer.glue_columns(merged, exclude=set(part_keys))
        pin = {
            "Values": list(values),
            "StorageDescriptor": _storage_descriptor(location + folder + "/", pcols, plan.classification, params),
            "Parameters": {},
        }
        if values in existing_parts:
            current = table.get_partition(list(values)).partition_input
            if inherit and (current.get("StorageDescriptor") or {}).get("Columns") != pcols:
                update_entries.append({"PartitionValueList": list(values), "PartitionInput": pin})
        else:
            new_inputs.append(pin)
    for i in range(0, len(new_inputs), 100):
        glue.batch_create_partition(db, plan.name, new_inputs[i : i + 100])
    if update_entries:
        glue.batch_update_partition(db, plan.name, update_entries)
    result.partitions_added += len(new_inputs)
    if pending_update is not None and (new_inputs or update_entries):
        glue.update_table(db, plan.name, pending_update)
        result.updated.append(plan.name)
    if new_inputs:
        result.messages.append(f"INFO : Added {len(new_inputs)} partitions to table {plan.name} in database {db}")


# --- lifecycle ---------------------------------------------------------------------------------

def _get_crawler(ctx: Ctx, name: str) -> Any:
    glue = ctx.backend("glue")
    if name not in glue.crawlers:
        raise EntityNotFoundException(f"Crawler with name {name} not found")
    return glue.crawlers[name]


def start_crawl(ctx: Ctx, name: str, workflow_run_id: str | None = None, hold: bool = False) -> Crawl:
    """Start a crawl (caller holds the lock). Raises CrawlerRunningException when one runs."""
    _get_crawler(ctx, name)
    st = glue_state(ctx)
    crawls = st.crawls.setdefault(name, [])
    if crawls and crawls[-1].state != "READY":
        raise CrawlerRunningException(f"Crawler with name {name} has already started")
    CRAWLER.check("READY", CRAWLER.initial)   # the crawler leaves READY; the new crawl carries it
    crawl = Crawl(crawler=name, start_time=now(ctx), workflow_run_id=workflow_run_id, hold=hold)
    crawls.append(crawl)
    bctx = background_ctx(ctx)
    put_logs(bctx, LOG_GROUP, name, [f"[{crawl.crawl_id}] BENCHMARK : Running Start Crawl for Crawler {name}"])
    later(bctx, duration(bctx, "crawler"), lambda: _run(bctx, crawl))
    return crawl


def _run(ctx: Ctx, crawl: Crawl) -> None:
    with lock(ctx):
        if crawl.state != "RUNNING" or crawl.hold:
            return  # stopped meanwhile (StopCrawler schedules the end) or held by a fault
        messages: list[str] = []
        try:
            crawler = _get_crawler(ctx, crawl.crawler)
            res = crawl_once(ctx, crawler)
            crawl.tables_created, crawl.tables_updated, crawl.tables_deleted = len(res.created), len(res.updated), len(res.deleted)
            CRAWL.move(crawl, "status", "SUCCEEDED")
            messages = res.messages + [
                f"INFO : Crawler {crawl.crawler}: {res.files} files, tables created {len(res.created)}, updated {len(res.updated)}, deleted {len(res.deleted)}, partitions added {res.partitions_added}",
                "BENCHMARK : Finished writing to Catalog",
            ]
        except CrawlFailed as exc:
            CRAWL.move(crawl, "status", "FAILED")
            crawl.error_message = str(exc)
            messages = [f"ERROR : {exc}"]
        except AwsError as exc:
            CRAWL.move(crawl, "status", "FAILED")
            crawl.error_message = exc.message
            messages = [f"ERROR : {exc.message}"]
        except Exception as exc:  # a crawl never takes the server down: it fails, as on AWS
            if crawl.status == "RUNNING":
                CRAWL.move(crawl, "status", "FAILED")
            crawl.error_message = f"Internal Service Exception: {exc}"
            messages = [f"ERROR : Internal Service Exception: {type(exc).__name__}: {exc}"]
        CRAWLER.move(crawl, "state", "STOPPING")
        put_logs(ctx, LOG_GROUP, crawl.crawler, [f"[{crawl.crawl_id}] {m}" for m in messages])
    later(ctx, duration(ctx, "crawler_stopping"), lambda: _finish(ctx, crawl))


def _finish(ctx: Ctx, crawl: Crawl) -> None:
    with lock(ctx):
        if crawl.state == "READY":
            return
        if crawl.cancel_requested and crawl.status == "RUNNING":
            CRAWL.move(crawl, "status", "CANCELLED")
        CRAWLER.move(crawl, "state", "READY")
        crawl.end_time = now(ctx)
        put_logs(ctx, LOG_GROUP, crawl.crawler, [f"[{crawl.crawl_id}] BENCHMARK : Crawler has finished running and is in state READY"])
        notify_finished(ctx, "crawler", crawl.crawler, crawl.crawl_id)


def stop_crawl(ctx: Ctx, name: str) -> None:
    """StopCrawler semantics (caller holds the lock)."""
    _get_crawler(ctx, name)
    crawls = glue_state(ctx).crawls.get(name) or []
    if not crawls or crawls[-1].state == "READY":
        raise CrawlerNotRunningException(f"Crawler with name {name} isn't running")
    crawl = crawls[-1]
    if crawl.state == "STOPPING" or crawl.cancel_requested:
        raise CrawlerStoppingException(f"Crawler with name {name} is stopping")
    crawl.cancel_requested = True
    CRAWLER.move(crawl, "state", "STOPPING")
    bctx = background_ctx(ctx)
    later(bctx, duration(bctx, "crawler_stopping"), lambda: _finish(bctx, crawl))


def find_crawl(ctx: Ctx, name: str, crawl_id: str) -> Crawl | None:
    for c in glue_state(ctx).crawls.get(name) or []:
        if c.crawl_id == crawl_id:
            return c
    return None


def crawler_dict(ctx: Ctx, crawler: Any) -> dict[str, Any]:
    """moto's crawler dict with State/LastCrawl/CrawlElapsedTime from our crawls."""
    d = crawler.as_dict()
    crawls = glue_state(ctx).crawls.get(crawler.name) or []
    d.pop("LastCrawl", None)
    d["State"] = crawls[-1].state if crawls else "READY"
    d["CrawlElapsedTime"] = int((now(ctx) - crawls[-1].start_time) * 1000) if crawls and crawls[-1].state != "READY" else 0
    done = [c for c in crawls if c.end_time is not None]
    if done:
        last = done[-1]
        lc = {
            "Status": last.status,
            "LogGroup": LOG_GROUP,
            "LogStream": crawler.name,
            "MessagePrefix": last.crawl_id,
            "StartTime": last.start_time,
        }
        if last.error_message:
            lc["ErrorMessage"] = last.error_message
        d["LastCrawl"] = lc
    return jsonable(d)


def crawl_dict(c: Crawl) -> dict[str, Any]:
    """ListCrawls entry / workflow graph ``Crawls`` entry."""
    state = {"RUNNING": "RUNNING", "SUCCEEDED": "SUCCEEDED", "CANCELLED": "CANCELLED", "FAILED": "FAILED"}[c.status]
    if c.end_time is None and c.cancel_requested:
        state = "CANCELLING"
    d: dict[str, Any] = {
        "CrawlId": c.crawl_id,
        "State": state,
        "StartedOn": c.start_time,
        "LogGroup": LOG_GROUP,
        "LogStream": c.crawler,
    }
    if c.end_time is not None:
        d["CompletedOn"] = c.end_time
    if c.error_message:
        d["ErrorMessage"] = c.error_message
    return d


# --- handlers ----------------------------------------------------------------------------------

@override("glue", "StartCrawler", errors=(EntityNotFoundException, CrawlerRunningException))
def h_start_crawler(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        start_crawl(ctx, params["Name"])
    return {}


@override("glue", "StopCrawler", errors=(EntityNotFoundException, CrawlerNotRunningException, CrawlerStoppingException))
def h_stop_crawler(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        stop_crawl(ctx, params["Name"])
    return {}


@override("glue", "GetCrawler", errors=(EntityNotFoundException,))
def h_get_crawler(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        return {"Crawler": crawler_dict(ctx, _get_crawler(ctx, params["Name"]))}


@override("glue", "GetCrawlers", errors=())
def h_get_crawlers(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        glue = ctx.backend("glue")
        return {"Crawlers": [crawler_dict(ctx, c) for c in glue.crawlers.values()]}


@override("glue", "BatchGetCrawlers", errors=())
def h_batch_get_crawlers(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        glue = ctx.backend("glue")
        names = params.get("CrawlerNames") or []
        found = [crawler_dict(ctx, glue.crawlers[n]) for n in names if n in glue.crawlers]
        return {"Crawlers": found, "CrawlersNotFound": [n for n in names if n not in glue.crawlers]}


@override("glue", "GetCrawlerMetrics", errors=())
def h_get_crawler_metrics(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        glue = ctx.backend("glue")
        names = params.get("CrawlerNameList") or list(glue.crawlers)
        out = []
        for n in names:
            if n not in glue.crawlers:
                continue
            crawls = glue_state(ctx).crawls.get(n) or []
            done = [c for c in crawls if c.end_time is not None]
            runtimes = [c.end_time - c.start_time for c in done]  # type: ignore[operator]
            last = done[-1] if done else None
            running = bool(crawls) and crawls[-1].state != "READY"
            out.append({
                "CrawlerName": n,
                "TimeLeftSeconds": 0.0,
                "StillEstimating": running,
                "LastRuntimeSeconds": round(runtimes[-1], 3) if runtimes else 0.0,
                "MedianRuntimeSeconds": round(statistics.median(runtimes), 3) if runtimes else 0.0,
                "TablesCreated": last.tables_created if last else 0,
                "TablesUpdated": last.tables_updated if last else 0,
                "TablesDeleted": last.tables_deleted if last else 0,
            })
        return {"CrawlerMetricsList": out}


@override("glue", "ListCrawls", errors=(EntityNotFoundException,))
def h_list_crawls(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        name = params["CrawlerName"]
        _get_crawler(ctx, name)
        crawls = list(reversed(glue_state(ctx).crawls.get(name) or []))
        return {"Crawls": [jsonable(crawl_dict(c)) for c in crawls[: int(params.get("MaxResults") or 20)]]}
