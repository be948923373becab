"""Data safety (family LG-SAFE): changes in a plan that lose data or silently change what jobs see.

Why a family of its own: an apply can destroy what the pipeline has built -- the objects in its
buckets, the table and partition definitions the crawlers made, the query history, the run logs
-- and Terraform shows that only as ``["delete", "create"]`` in a plan nobody reads line by line.
Each rule says in plain words *what is lost* and how to keep it: ``lifecycle { prevent_destroy =
true }``, keeping the identity (a ``moved`` block for a renamed address; it cannot help when the
*name* changes, because the name is the resource's identity in AWS), ``terraform import`` instead
of recreate, or ``lakegate backup`` before apply.

Which buckets hold pipeline data is derived from the pipeline, never from bucket names: crawler
S3 targets, what each job reads and writes (:func:`job_io`, the same contract the IAM and
consistency rules use) and the locations of catalog tables. Both the planned values and the
before-values are used, so a plan that deletes a crawler together with its bucket still knows
what the bucket held.

Rules:

* LG-SAFE-001 a bucket that holds pipeline data is deleted or replaced (renames included);
* LG-SAFE-002 a catalog database or table is deleted or replaced;
* LG-SAFE-003 an Athena workgroup (query history) or a CloudWatch log group is deleted or replaced;
* LG-SAFE-004 ``force_destroy = true`` on a bucket that holds pipeline data;
* LG-SAFE-005 a crawler whose ``schema_change_policy.delete_behavior`` is ``DELETE_FROM_DATABASE``;
* LG-SAFE-006 a lifecycle rule expires objects under a prefix a crawler or job reads;
* LG-SAFE-007 a job's bookmark option leaves ``job-bookmark-enable``;
* LG-SAFE-008 a job's script, SQL or Glue version changes (what its next run computes changes);
* LG-SAFE-009 a catalog table's location changes (what the jobs reading it see changes);
* LG-SAFE-010 a job with bookmarks enabled is deleted or replaced (its bookmark goes with it).

The bookmark resets these changes require are in the recovery plan (:mod:`tf_checks.rules.impact`,
:func:`job_view_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from tf_checks.findings import Finding
from tf_checks.model import Resource, as_dict, as_list, as_str, first_block, split_s3_url
from tf_checks.registry import check, declare, declare_family

FAMILY = "LG-SAFE"
declare_family(
    FAMILY, "Data safety",
    "Changes that lose pipeline data (objects, table and partition definitions, query history, "
    "run logs) or silently change what the jobs see on their next run. Every finding says what "
    "is lost and how to keep it; take a backup with `lakegate backup` before any apply that "
    "still needs such a change.")

BACKUP_FIX = "back up first with `lakegate backup --env ENV --tf-dir DIR`"
PREVENT = "lifecycle { prevent_destroy = true }"
REMOVED_FIX = ("restore the resource block; to stop managing it without deleting it use a "
               "`removed { from = ADDRESS  lifecycle { destroy = false } }` block (Terraform "
               ">= 1.7) or `terraform state rm`")

BUCKET_LOST = declare(
    "LG-SAFE-001", "A bucket holding pipeline data is deleted or replaced", "critical", FAMILY,
    "The plan deletes (`[\"delete\"]`) or replaces (`[\"delete\",\"create\"]` / "
    "`[\"create\",\"delete\"]`) an `aws_s3_bucket` that holds pipeline data: a crawler target, a "
    "job's input or output, or a catalog table's location is in it (found from the pipeline, "
    "not from the bucket's name). With `force_destroy = true` every object is deleted with the "
    "bucket (critical); without it the delete fails on a non-empty bucket and the apply stops "
    "half-way (high). A change of `bucket` (the name) is a rename that Terraform can only do as a "
    "replace: the new bucket starts empty, and a `moved` block cannot help because the bucket "
    "name is the bucket's identity.\n\n"
    "Fix: keep the bucket (`lifecycle { prevent_destroy = true }` on data buckets makes Terraform "
    "refuse such a plan); undo the attribute change that forces the replacement; to adopt an "
    "existing bucket use `terraform import` instead of recreating it; for a real rename, create "
    "the new bucket next to the old one, copy the objects (`aws s3 sync`), switch the pipeline, "
    "and remove the old bucket in a later change. Back up first with `lakegate backup`. When the "
    "job I/O cannot be determined the gate cannot rule data out and reports the deletion as "
    "medium.")
CATALOG_LOST = declare(
    "LG-SAFE-002", "A catalog database or table is deleted or replaced", "high", FAMILY,
    "Deleting an `aws_glue_catalog_database` deletes every table and partition definition in it "
    "(the crawlers' work, partition by partition); deleting or replacing an "
    "`aws_glue_catalog_table` deletes its definition and all its partitions. The data files stay "
    "in S3 but the jobs that read the table through the catalog fail or read nothing until it is "
    "re-crawled, and a bookmark reset is needed. A `name` change is a rename that Terraform does "
    "as a replace; a `moved` block cannot help because the name is the identity.\n\n"
    "Fix: `lifecycle { prevent_destroy = true }` on the database; `terraform import` instead of "
    "recreate; keep the name. Back up the definitions first with `lakegate backup` (it saves "
    "table and partition definitions).")
HISTORY_LOST = declare(
    "LG-SAFE-003", "An Athena workgroup or a log group is deleted or replaced", "medium", FAMILY,
    "Deleting an `aws_athena_workgroup` deletes its query history and saved queries (Athena "
    "keeps history per workgroup); deleting an `aws_cloudwatch_log_group` deletes every log "
    "stream in it -- the job and crawler run logs the runbook uses as evidence. A `name` change "
    "is a replace; a `moved` block cannot help because the name is the identity.\n\n"
    "Fix: `lifecycle { prevent_destroy = true }`, keep the name, `terraform import` instead of "
    "recreate; export what you need first (`aws logs create-export-task`, `aws athena "
    "list-query-executions`).")
FORCE_DESTROY = declare(
    "LG-SAFE-004", "force_destroy on a bucket holding pipeline data", "high", FAMILY,
    "`force_destroy = true` on an `aws_s3_bucket` that holds pipeline data lets any plan that "
    "deletes or replaces the bucket (a rename, a `terraform destroy`, a refactor that drops the "
    "block) delete every object in it without asking. Not reported when the bucket's block has "
    "`lifecycle { prevent_destroy = true }` (Terraform then refuses to destroy it).\n\n"
    "Fix: `force_destroy = false` in the default configuration (throw-away stacks can set it "
    "through a variable), and `lifecycle { prevent_destroy = true }` on the data buckets.")
CRAWLER_DELETES = declare(
    "LG-SAFE-005", "Crawler deletes tables or partitions from the catalog", "high", FAMILY,
    "A crawler with `schema_change_policy { delete_behavior = \"DELETE_FROM_DATABASE\" }` "
    "deletes table and partition definitions whenever it does not find their objects -- an "
    "empty or mistyped target, a prefix emptied by a lifecycle rule, a failed upload -- and the "
    "jobs reading those tables then see nothing. High when the plan sets it (create or change), "
    "medium when it is already so.\n\n"
    "Fix: `delete_behavior = \"LOG\"` (or `DEPRECATE_IN_DATABASE`) and remove obsolete "
    "tables deliberately.")
EXPIRY = declare(
    "LG-SAFE-006", "Lifecycle expiration on a prefix the pipeline reads", "high", FAMILY,
    "An enabled rule of an `aws_s3_bucket_lifecycle_configuration` (or a bucket's inline "
    "`lifecycle_rule`) with an `expiration` (days or date) whose filter prefix overlaps a prefix "
    "a crawler crawls, a job reads or a catalog table points to: S3 deletes those objects, the "
    "next crawl drops the partitions or the jobs silently read less. Rules that expire only "
    "noncurrent versions or delete markers are not reported.\n\n"
    "Fix: narrow the rule's filter to prefixes the pipeline does not read (temporary or "
    "query-result prefixes), or archive with a `transition` instead of expiring.")
BOOKMARK_OFF = declare(
    "LG-SAFE-007", "Job bookmark option leaves job-bookmark-enable", "high", FAMILY,
    "A job's `--job-bookmark-option` goes from `job-bookmark-enable` to `job-bookmark-disable` "
    "(every run reads all of its input again: appended outputs get duplicates) or "
    "`job-bookmark-pause` (runs read from the last bookmark without moving it: every run "
    "re-reads the same data). The stored bookmark stops advancing, so turning it back on later "
    "replays everything since the change unless the bookmark is reset deliberately.\n\n"
    "Fix: keep `job-bookmark-enable`; if the change is intended, take `lakegate backup` (it "
    "saves the bookmarks with their run ids) and plan the reset (see the recovery plan).")
JOB_CODE = declare(
    "LG-SAFE-008", "Job script, SQL or Glue version changes", "medium", FAMILY,
    "A job's `command.script_location`, its `--sql_path` argument or its `glue_version` changes: "
    "from its next run the job computes something else (other code, another Spark/Python "
    "runtime) while its bookmark still marks the old input as processed, so old and new results "
    "mix in its output. The recovery plan lists the bookmark reset this requires.\n\n"
    "Fix: reset the job's bookmark after apply (`lakegate recover` with the recovery plan) so the "
    "new code processes all input once, and back up the bookmarks first with `lakegate backup`.")
TABLE_MOVED = declare(
    "LG-SAFE-009", "Catalog table location changes", "high", FAMILY,
    "An `aws_glue_catalog_table`'s `storage_descriptor.location` changes: the jobs reading the "
    "table read the new location from their next run and no longer see the data under the old "
    "one; partitions registered under the old location keep pointing there. The recovery plan "
    "lists the bookmark resets this requires.\n\n"
    "Fix: move the data first (`aws s3 sync OLD NEW`), back up the table and partition "
    "definitions with `lakegate backup`, re-crawl, and reset the bookmarks of the jobs that read "
    "the table.")

JOB_LOST = declare(
    "LG-SAFE-010", "A job with bookmarks is deleted or replaced", "high", FAMILY,
    "Deleting or replacing an `aws_glue_job` whose bookmarks are enabled deletes its bookmark "
    "and its run history with it: the new job's first run reads all of its input again (appended "
    "outputs get duplicates) and the runbook's last-run checks find nothing. A `name` change is "
    "a replace; a `moved` block cannot help because the job name is its identity.\n\n"
    "Fix: keep the name; `terraform import` instead of recreate; if the replacement is "
    "intended, take `lakegate backup` first (bookmarks with their run ids) and make the new job's "
    "first run overwrite rather than append.")

# --------------------------------------------------------------------------- job I/O accessor

def job_io_function() -> Callable[..., Any]:
    """``job_io(ctx, res) -> (JobIO | None, findings)``, wherever it lives.

    It moves from ``tf_checks.rules.consistency`` to ``tf_checks.scripts`` (a function in the
    package or a module ``job_io`` with a function ``job_io``); both layouts work."""
    try:
        import tf_checks.scripts as scripts  # type: ignore[import-not-found]
    except ImportError:
        scripts = None
    if scripts is not None:
        obj = getattr(scripts, "job_io", None)
        if obj is None:
            try:
                import importlib

                obj = importlib.import_module("tf_checks.scripts.job_io")
            except ImportError:
                obj = None
        if obj is not None and not callable(obj):
            obj = getattr(obj, "job_io", None)
        if callable(obj):
            return obj
    from tf_checks.rules.consistency import job_io

    return job_io


# --------------------------------------------------------------------------- pipeline facts

def norm(url: str) -> str | None:
    """``s3a://b/a/b`` -> ``s3://b/a/b/``; None for a non-S3 value."""
    parts = split_s3_url(url) if isinstance(url, str) else None
    if parts is None:
        return None
    bucket, key = parts
    key = key.strip("/")
    return f"s3://{bucket}/{key}/" if key else f"s3://{bucket}/"


def _versions(res: Resource) -> list[dict[str, Any]]:
    """The after-values and (when different) the before-values of a resource."""
    out = []
    if res.values:
        out.append(res.values)
    if res.before and res.before is not res.values:
        out.append(res.before)
    return out


def table_location(values: dict[str, Any]) -> str | None:
    return as_str(first_block(values.get("storage_descriptor")).get("location"))


@dataclass
class DataMap:
    """Where the pipeline keeps data: S3 prefix -> what uses it, and what is unknown."""

    prefixes: dict[str, list[str]] = field(default_factory=dict)        # prefix -> uses
    read_prefixes: dict[str, list[str]] = field(default_factory=dict)   # subset: read by someone
    unknown_jobs: list[str] = field(default_factory=list)                # jobs whose I/O is unknown
    tables: dict[tuple[str, str], str] = field(default_factory=dict)    # (db, table) -> location
    table_readers: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # -> job names

    by_bucket: dict[str, list[str]] = field(default_factory=dict)      # bucket -> its prefixes

    def add(self, url: Any, use: str, *, read: bool) -> None:
        p = norm(url) if isinstance(url, str) else None
        if p is None:
            return
        if p not in self.prefixes:
            self.by_bucket.setdefault(p[len("s3://"):].split("/", 1)[0], []).append(p)
        uses = self.prefixes.setdefault(p, [])
        if use not in uses:
            uses.append(use)
        if read:
            r = self.read_prefixes.setdefault(p, [])
            if use not in r:
                r.append(use)

    def in_bucket(self, bucket: str, *, read_only: bool = False) -> dict[str, list[str]]:
        src = self.read_prefixes if read_only else self.prefixes
        return {p: src[p] for p in self.by_bucket.get(bucket, ()) if p in src}


def data_map(ctx: Any) -> DataMap:
    """Build (once per context) the map of pipeline data from crawlers, jobs and tables."""
    cached = getattr(ctx, "_lg_safe_data_map", None)
    if cached is not None:
        return cached
    dm = DataMap()
    plan = ctx.plan
    for res in plan.of("aws_glue_catalog_table", live=False):
        for vals in _versions(res):
            db, name, loc = as_str(vals.get("database_name")), as_str(vals.get("name")), table_location(vals)
            if db and name and loc:
                dm.tables.setdefault((db, name.lower()), loc)
                dm.add(loc, f"location of catalog table {db}.{name}", read=False)
    for res in plan.of("aws_glue_crawler", live=False):
        for vals in _versions(res):
            name = as_str(vals.get("name")) or res.address
            for t in as_list(vals.get("s3_target")):
                dm.add(as_dict(t).get("path"), f"crawled by crawler {name}", read=True)
    job_io = job_io_function()
    for res in plan.of("aws_glue_job", live=False):
        name = as_str(res.values.get("name")) or as_str((res.before or {}).get("name")) or res.address
        try:
            io, _errs = job_io(ctx, res)
        except Exception:  # noqa: BLE001 - the rules must never crash on one job; fail closed
            io = None
        if io is None or getattr(io, "unknown", None):
            dm.unknown_jobs.append(name)
        if io is None:
            continue
        for url in getattr(io, "s3_reads", []) or []:
            dm.add(url, f"read by job {name}", read=True)
        for url in getattr(io, "s3_lists", []) or []:
            dm.add(url, f"listed by job {name}", read=True)
        for url in list(getattr(io, "s3_writes", []) or []) + [getattr(io, "output_path", None)]:
            dm.add(url, f"written by job {name}", read=False)
        for db, table in getattr(io, "catalog_reads", []) or []:
            dm.table_readers.setdefault((db, table.lower()), [])
            if name not in dm.table_readers[(db, table.lower())]:
                dm.table_readers[(db, table.lower())].append(name)
    # tables jobs read: their locations are read prefixes
    for key, readers in dm.table_readers.items():
        loc = dm.tables.get(key)
        if loc:
            for job in readers:
                dm.add(loc, f"read by job {job} through table {key[0]}.{key[1]}", read=True)
    try:
        setattr(ctx, "_lg_safe_data_map", dm)
    except AttributeError:
        pass
    return dm


def source_body(ctx: Any, res: Resource) -> dict[str, Any] | None:
    """The resource's block in the Terraform source (root or module), when the gate has it."""
    try:
        src = ctx.resolver._module_source(res.module)
    except Exception:  # noqa: BLE001 - source reading is optional here
        return None
    if src is None:
        return None
    from tf_checks.loader import strip_indexes

    key = strip_indexes(res.address)
    if res.module:
        key = key[len(strip_indexes(res.module)) + 1:]
    body = getattr(src, "resources", {}).get(key)
    return body if isinstance(body, dict) else None


def prevent_destroy(ctx: Any, res: Resource) -> bool | None:
    """True/False from the source's ``lifecycle { prevent_destroy }``; None without source."""
    body = source_body(ctx, res)
    if body is None:
        return None
    for block in as_list(body.get("lifecycle")) or ([body["lifecycle"]] if isinstance(body.get("lifecycle"), dict) else []):
        value = as_dict(block).get("prevent_destroy")
        if value is True or (isinstance(value, str) and value.strip().strip('"').lower() == "true"):
            return True
    return False


# --------------------------------------------------------------------------- helpers

def removal(res: Resource) -> str | None:
    """'deleted' / 'replaced' when the plan removes the existing object, else None."""
    acts = set(res.actions)
    if "delete" not in acts:
        return None
    return "replaced" if "create" in acts else "deleted"


def renamed(res: Resource, key: str) -> tuple[str, str] | None:
    """(old, new) when a replace changes the identifying attribute ``key``."""
    if removal(res) != "replaced" or not res.before:
        return None
    old, new = res.before.get(key), res.values.get(key)
    if isinstance(old, str) and old != new:
        if new is None and res.after_unknown.get(key) is True:
            return old, "(known after apply)"
        if isinstance(new, str):
            return old, new
    return None


def _rename_text(kind: str, old: str, new: str) -> str:
    return (f"this is a rename of the {kind} from {old} to {new}, which Terraform can only do as "
            f"a replace (the new {kind} starts empty); a `moved` block cannot help, because the "
            f"{kind} name is its identity in AWS")


def _changed_attrs(res: Resource) -> list[str]:
    before = res.before or {}
    keys = {k for k in set(before) | set(res.values) if before.get(k) != res.values.get(k)}
    keys |= {k for k, v in res.after_unknown.items() if v is True}
    return sorted(k for k in keys if k not in ("tags_all",))


def _short(items: list[str], n: int = 4) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


# --------------------------------------------------------------------------- check units

@check("data_safety.deletions", order=60)
def deletions(ctx: Any) -> Iterable[Finding]:
    dm = data_map(ctx)
    plan = ctx.plan
    for res in plan.of("aws_s3_bucket", live=False):
        how = removal(res)
        if how is None:
            continue
        before = res.before or res.values
        bucket = as_str(before.get("bucket"))
        if not bucket:
            continue
        held = dm.in_bucket(bucket)
        rn = renamed(res, "bucket")
        why = f"; {_rename_text('bucket', *rn)}" if rn else ""
        if not held:
            if dm.unknown_jobs:
                yield BUCKET_LOST.finding(
                    res.address,
                    f"bucket {bucket} is {how} and the gate cannot rule out that it holds "
                    f"pipeline data: what job(s) {_short(dm.unknown_jobs)} read and write is not "
                    f"known{why}", severity="medium",
                    fix=f"make the job I/O known (see LG-CONS findings), or add {PREVENT} to the "
                        f"bucket; {BACKUP_FIX}")
            continue
        forced = before.get("force_destroy") is True
        lost = "; ".join(f"objects under {p} ({_short(u, 3)})" for p, u in sorted(held.items()))
        if forced:
            what = f"{lost} are deleted with the bucket (force_destroy = true)"
        else:
            what = (f"{lost} would be deleted with it; without force_destroy the delete fails "
                    "on the non-empty bucket and the apply stops half-way")
        if rn:
            fix = (f"keep the name {bucket} (or create the new bucket beside it, copy the objects "
                   "with `aws s3 sync`, switch the pipeline, and delete the old one in a later "
                   f"change); add {PREVENT}; {BACKUP_FIX}")
        elif how == "replaced":
            fix = (f"undo the change that forces the replacement ({_short(_changed_attrs(res))}) "
                   f"or use `terraform import` instead of recreating; add {PREVENT}; {BACKUP_FIX}")
        else:
            fix = (f"{REMOVED_FIX}; add {PREVENT}; {BACKUP_FIX}")
        yield BUCKET_LOST.finding(res.address, f"bucket {bucket} is {how}: {what}{why}",
                                  severity=None if forced else "high", fix=fix)

    for res in plan.of("aws_glue_catalog_database", live=False):
        how = removal(res)
        if how is None:
            continue
        before = res.before or res.values
        db = as_str(before.get("name")) or res.address
        tables = sorted({t for (d, t) in dm.tables if d == db} |
                        {t for (d, t) in dm.table_readers if d == db})
        rn = renamed(res, "name")
        known = f" (known tables: {_short(tables, 6)})" if tables else ""
        yield CATALOG_LOST.finding(
            res.address,
            f"catalog database {db} is {how}: every table and partition definition in database "
            f"{db} is deleted{known}; jobs reading them fail or read nothing until re-crawled"
            + (f"; {_rename_text('database', *rn)}" if rn else ""),
            fix=(f"keep the name {db}; " if rn else "use `terraform import` instead of recreating; "
                 if how == "replaced" else f"{REMOVED_FIX}; ")
            + f"add {PREVENT}; {BACKUP_FIX} (it saves table and partition definitions)")

    for res in plan.of("aws_glue_catalog_table", live=False):
        how = removal(res)
        if how is None:
            continue
        before = res.before or res.values
        db, name = as_str(before.get("database_name")) or "?", as_str(before.get("name")) or res.address
        readers = dm.table_readers.get((db, name.lower()), [])
        loc = table_location(before)
        rn = renamed(res, "name")
        yield CATALOG_LOST.finding(
            res.address,
            f"catalog table {db}.{name} is {how}: its definition and every partition definition "
            f"are deleted (the files{' under ' + loc if loc else ''} stay)"
            + (f"; job(s) {_short(readers)} read it and fail or read nothing until it is back"
               if readers else "")
            + (f"; {_rename_text('table', *rn)}" if rn else ""),
            severity=None if readers else "medium",
            fix=f"add {PREVENT}, or re-create it with `terraform import`; {BACKUP_FIX}")

    for kind, label, lost in (
            ("aws_athena_workgroup", "Athena workgroup",
             "its query history and saved queries are deleted (results files in S3 stay)"),
            ("aws_cloudwatch_log_group", "log group",
             "every log stream in it is deleted (the run logs the runbook uses as evidence)")):
        for res in plan.of(kind, live=False):
            how = removal(res)
            if how is None:
                continue
            before = res.before or res.values
            name = as_str(before.get("name")) or res.address
            rn = renamed(res, "name")
            yield HISTORY_LOST.finding(
                res.address, f"{label} {name} is {how}: {lost}"
                + (f"; {_rename_text(label, *rn)}" if rn else ""),
                fix=f"keep the name; add {PREVENT}; export what you need first")


@check("data_safety.configuration", order=61)
def configuration(ctx: Any) -> Iterable[Finding]:
    dm = data_map(ctx)
    plan = ctx.plan
    # force_destroy on data buckets
    for res in plan.of("aws_s3_bucket"):
        bucket = as_str(res.values.get("bucket"))
        if not bucket or res.values.get("force_destroy") is not True:
            continue
        held = dm.in_bucket(bucket)
        if not held or prevent_destroy(ctx, res):
            continue
        yield FORCE_DESTROY.finding(
            res.address,
            f"bucket {bucket} has force_destroy = true: a plan that deletes or replaces it "
            f"deletes {_short([f'objects under {p}' for p in sorted(held)], 3)} without asking",
            fix=f"set force_destroy = false (a variable for throw-away stacks) and add {PREVENT}")

    # crawler delete behaviour
    for res in plan.of("aws_glue_crawler"):
        pol = first_block(res.values.get("schema_change_policy"))
        if pol.get("delete_behavior") != "DELETE_FROM_DATABASE":
            continue
        before = first_block((res.before or {}).get("schema_change_policy")) if res.before else {}
        # "becomes": the plan creates the crawler with it or changes it to it
        sets_it = (before.get("delete_behavior") != "DELETE_FROM_DATABASE" if res.before
                   else "create" in res.actions)
        name = as_str(res.values.get("name")) or res.address
        db = as_str(res.values.get("database_name")) or "its database"
        paths = [p for p in (as_str(as_dict(t).get("path")) for t in as_list(res.values.get("s3_target"))) if p]
        was = f" (was {before.get('delete_behavior')})" if res.before and sets_it else ""
        yield CRAWLER_DELETES.finding(
            res.address,
            f"crawler {name} has delete_behavior DELETE_FROM_DATABASE{was}: when it does not find "
            f"the objects of a table or partition under {_short(paths, 2) or 'its targets'} it "
            f"deletes their definitions from {db}, and the jobs reading them see nothing",
            severity=None if sets_it else "medium",
            fix='set schema_change_policy { delete_behavior = "LOG" } (or DEPRECATE_IN_DATABASE)')

    # lifecycle expiration on prefixes the pipeline reads
    for res in plan.of("aws_s3_bucket_lifecycle_configuration"):
        bucket = _bucket_of(ctx, res)
        if bucket is None:
            continue
        reads = dm.in_bucket(bucket, read_only=True)
        for rule in as_list(res.values.get("rule")):
            rule = as_dict(rule)
            if rule.get("status") != "Enabled":
                continue
            exp = first_block(rule.get("expiration"))
            if exp.get("days") in (None, 0) and not exp.get("date"):
                continue
            yield from _expiry(res, bucket, as_str(rule.get("id")) or "(no id)", _rule_prefix(rule),
                               exp, reads)
    for res in plan.of("aws_s3_bucket"):  # the inline (deprecated) lifecycle_rule
        bucket = as_str(res.values.get("bucket"))
        if not bucket:
            continue
        reads = dm.in_bucket(bucket, read_only=True)
        for rule in as_list(res.values.get("lifecycle_rule")):
            rule = as_dict(rule)
            exp = first_block(rule.get("expiration"))
            if not rule.get("enabled") or (exp.get("days") in (None, 0) and not exp.get("date")):
                continue
            yield from _expiry(res, bucket, as_str(rule.get("id")) or "(no id)",
                               as_str(rule.get("prefix")) or "", exp, reads)


def _bucket_of(ctx: Any, res: Resource) -> str | None:
    value, _why = ctx.resolver.try_value(res, "bucket")
    if isinstance(value, str) and value:
        return value
    for ref in res.refs("bucket"):  # aws_s3_bucket.raw.id -> that bucket's name
        parts = ref.split(".")
        if len(parts) >= 2 and parts[0] == "aws_s3_bucket":
            base = ".".join(parts[:2])
            addr = f"{res.module}.{base}" if res.module else base
            target = ctx.plan.get(addr)
            if target is not None and isinstance(target.values.get("bucket"), str):
                return target.values["bucket"]
    return None


def _rule_prefix(rule: dict[str, Any]) -> str:
    flt = first_block(rule.get("filter"))
    prefix = as_str(flt.get("prefix"))
    if prefix is None:
        prefix = as_str(first_block(flt.get("and")).get("prefix"))
    if prefix is None:
        prefix = as_str(rule.get("prefix"))
    return prefix or ""


def _expiry(res: Resource, bucket: str, rule_id: str, prefix: str, exp: dict[str, Any],
            reads: dict[str, list[str]]) -> Iterable[Finding]:
    scope = f"s3://{bucket}/{prefix}"
    hit = {p: u for p, u in reads.items()
           if p.startswith(scope) or scope.startswith(p)}
    if not hit:
        return
    when = f"after {exp['days']} days" if exp.get("days") else f"on {exp.get('date')}"
    yield EXPIRY.finding(
        res.address,
        f"lifecycle rule {rule_id} of bucket {bucket} expires objects under {scope} {when}: "
        + "; ".join(f"{p} is {_short(u, 2)}" for p, u in sorted(hit.items()))
        + " -- those objects are deleted by S3 and the next crawl or run silently sees less",
        fix="limit the rule's filter to a prefix the pipeline does not read, or use a "
            "transition (archive) instead of expiration")


@check("data_safety.job_view", order=62)
def job_view(ctx: Any) -> Iterable[Finding]:
    for res in ctx.plan.of("aws_glue_job", live=False):
        how = removal(res)
        before = res.before or {}
        if how is None or _arg(before, "--job-bookmark-option") != "job-bookmark-enable":
            continue
        name = as_str(before.get("name")) or res.address
        rn = renamed(res, "name")
        yield JOB_LOST.finding(
            res.address,
            f"job {name} is {how}: its bookmark and run history are deleted with it"
            + ("; the new job's first run reads all of its input again" if how == "replaced" else "")
            + (f"; {_rename_text('job', *rn)}" if rn else ""),
            fix=(f"keep the name {name}; " if rn else "") + f"{BACKUP_FIX} (bookmarks and run ids)")
    for change in job_view_changes(ctx):
        rule = {"bookmark": BOOKMARK_OFF, "script": JOB_CODE, "sql": JOB_CODE,
                "glue_version": JOB_CODE, "table_location": TABLE_MOVED}[change.kind]
        yield rule.finding(change.address, change.message, fix=change.fix)


@dataclass
class JobViewChange:
    """A change that alters what a job sees next; the recovery plan reads ``resets``."""

    kind: str                 # bookmark | script | sql | glue_version | table_location
    address: str
    message: str
    fix: str
    resets: list[tuple[str, str]] = field(default_factory=list)   # (job name, why)
    notes: list[tuple[str, str]] = field(default_factory=list)    # (job name, what to know)


def _arg(values: dict[str, Any] | None, key: str) -> Any:
    return as_dict((values or {}).get("default_arguments")).get(key)


def job_view_changes(ctx: Any) -> list[JobViewChange]:
    """Updates (not creates) that change what jobs read or compute on their next run."""
    out: list[JobViewChange] = []
    for res in ctx.plan.of("aws_glue_job"):
        if not res.before or "create" in res.actions or "update" not in res.actions:
            continue
        name = as_str(res.values.get("name")) or res.address
        old_bm = _arg(res.before, "--job-bookmark-option") or "job-bookmark-disable"
        new_bm = _arg(res.values, "--job-bookmark-option") or "job-bookmark-disable"
        if old_bm == "job-bookmark-enable" and new_bm != "job-bookmark-enable":
            effect = ("every run reads all of its input again, so an output written in append "
                      "mode gets duplicates" if new_bm == "job-bookmark-disable" else
                      "every run re-reads the input after the last bookmark without moving it")
            out.append(JobViewChange(
                "bookmark", res.address,
                f"job {name}'s bookmark option goes from job-bookmark-enable to {new_bm}: {effect}; "
                "the stored bookmark stops advancing, so re-enabling it later replays everything "
                "since this change",
                fix="keep --job-bookmark-option = job-bookmark-enable; if intended, take "
                    "`lakegate backup` first (bookmarks and run ids) and reset the bookmark when "
                    "it is enabled again",
                notes=[(name, f"bookmark becomes {new_bm}: reset it when it is enabled again, or "
                              "the job replays everything since this change")]))
        elif old_bm != "job-bookmark-enable" and new_bm == "job-bookmark-enable":
            out.append(JobViewChange(
                "bookmark", res.address,
                f"job {name}'s bookmark option goes from {old_bm} to job-bookmark-enable: a "
                "stored bookmark (if any) is from before it was turned off, so the next run "
                "replays everything since then", fix="reset the bookmark right after apply (the recovery "
                "plan lists it) so the next run starts from a known point",
                resets=[(name, f"bookmark re-enabled (was {old_bm}): the stored bookmark is stale")]))
        old_s = as_str(first_block(res.before.get("command")).get("script_location"))
        new_s = as_str(first_block(res.values.get("command")).get("script_location"))
        if old_s and new_s and old_s != new_s:
            out.append(JobViewChange(
                "script", res.address,
                f"job {name} runs a different script from its next run ({old_s} -> {new_s}) while "
                "its bookmark still marks the old script's input as processed",
                fix="reset the job's bookmark after apply (in the recovery plan); `lakegate "
                    "backup` first",
                resets=[(name, f"its script changes ({old_s} -> {new_s})")]))
        old_q, new_q = _arg(res.before, "--sql_path"), _arg(res.values, "--sql_path")
        if isinstance(old_q, str) and isinstance(new_q, str) and old_q != new_q:
            out.append(JobViewChange(
                "sql", res.address,
                f"job {name} runs other SQL from its next run ({old_q} -> {new_q}) while its "
                "bookmark still marks the old SQL's input as processed",
                fix="reset the job's bookmark after apply (in the recovery plan); `lakegate "
                    "backup` first",
                resets=[(name, f"its SQL changes ({old_q} -> {new_q})")]))
        old_v, new_v = as_str(res.before.get("glue_version")), as_str(res.values.get("glue_version"))
        if old_v and new_v and old_v != new_v:
            out.append(JobViewChange(
                "glue_version", res.address,
                f"job {name} moves from Glue {old_v} to Glue {new_v}: another Spark and Python "
                "runtime computes its next runs while its bookmark keeps the old runs' progress",
                fix="reset the job's bookmark after apply (in the recovery plan) so all input is "
                    "processed by one runtime; `lakegate backup` first",
                resets=[(name, f"its Glue version changes ({old_v} -> {new_v})")]))
    dm = data_map(ctx)
    for res in ctx.plan.of("aws_glue_catalog_table"):
        if not res.before or "update" not in res.actions or "create" in res.actions:
            continue
        old_l, new_l = table_location(res.before), table_location(res.values)
        if not old_l or old_l == new_l:
            continue
        db, name = as_str(res.values.get("database_name")) or "?", as_str(res.values.get("name")) or "?"
        readers = dm.table_readers.get((db, name.lower()), [])
        out.append(JobViewChange(
            "table_location", res.address,
            f"catalog table {db}.{name} moves from {old_l} to {new_l or '(known after apply)'}: "
            + (f"job(s) {_short(readers)} read" if readers else "readers of the table read")
            + " the new location from their next run and no longer see the data under the old "
              "one; partitions registered under the old location keep pointing there",
            fix="copy the data to the new location first, back up with `lakegate backup`, "
                "re-crawl, and reset the readers' bookmarks (in the recovery plan)",
            resets=[(j, f"its input table {db}.{name} moves ({old_l} -> {new_l})") for j in readers]))
    return out
