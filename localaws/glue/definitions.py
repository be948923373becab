"""Glue definitions the Terraform provider updates in place, which moto 5.2.5 lacks or gets wrong
(found by ``terraform apply → change → apply → plan → destroy`` of a pipeline against the
server; tests/localaws_core/test_compat.py and test_terraform_e2e.py pin them):

* ``UpdateJob`` / ``UpdateCrawler`` / ``UpdateTrigger``: not implemented in moto (HTTP 500,
  which the provider retries for minutes, so every in-place update hangs). Semantics as AWS
  documents them: ``JobUpdate`` *replaces* the job definition (unspecified settings are reset),
  ``UpdateCrawler`` changes only the fields given and bumps ``Version``, ``TriggerUpdate``
  replaces the fields given. Updating a running crawler → ``CrawlerRunningException``.
* ``StartTrigger`` on an ON_DEMAND trigger keeps it CREATED (see :func:`start_trigger`) and
  ``GetJob`` omits an ``ExecutionClass`` never set (moto patched in-process) — otherwise every
  plan after apply shows changes.
"""

from __future__ import annotations

from typing import Any

from localaws.dispatch import Ctx, override
from localaws.glue.exceptions import CrawlerRunningException, EntityNotFoundException, InvalidInputException
from localaws.exceptions import moto_errors

def _require(params: dict, key: str, op: str) -> Any:
    value = params.get(key)
    if value in (None, ""):
        raise InvalidInputException(f"{op}: {key} is required")
    return value


_CRAWLER_FIELDS = {
    "Role": "role", "DatabaseName": "database_name", "Description": "description",
    "Targets": "targets", "Schedule": "schedule", "Classifiers": "classifiers",
    "TablePrefix": "table_prefix", "SchemaChangePolicy": "schema_change_policy",
    "RecrawlPolicy": "recrawl_policy", "LineageConfiguration": "lineage_configuration",
    "Configuration": "configuration",
    "CrawlerSecurityConfiguration": "crawler_security_configuration",
}


def _crawler_running(ctx: Ctx, crawler: Any) -> bool:
    if crawler.crawls and getattr(crawler.crawls[-1], "status", None) == "RUNNING":
        return True
    # the Glue behaviour module keeps crawl state itself; it exposes it as crawler.state
    state = getattr(crawler, "state", None)
    return state in ("RUNNING", "STOPPING")


@override("glue", "UpdateCrawler", errors=(InvalidInputException, EntityNotFoundException, CrawlerRunningException))
@moto_errors
def update_crawler(ctx: Ctx, params: dict) -> dict:
    name = _require(params, "Name", "UpdateCrawler")
    crawler = ctx.backend("glue").get_crawler(name)
    if _crawler_running(ctx, crawler):
        raise CrawlerRunningException(f"Crawler with name {name} has already started")
    if "DatabaseName" in params:
        ctx.backend("glue").get_database(params["DatabaseName"])
    for key, attr in _CRAWLER_FIELDS.items():
        if key in params:
            setattr(crawler, attr, params[key])
    from moto.core.utils import utcnow

    crawler.version = getattr(crawler, "version", 1) + 1
    crawler.last_updated = utcnow()
    return {}


_JOB_FIELDS = {
    "Description": ("description", None), "LogUri": ("log_uri", None), "Role": ("role", None),
    "ExecutionProperty": ("execution_property", {}), "Command": ("command", None),
    "DefaultArguments": ("default_arguments", {}),
    "NonOverridableArguments": ("non_overridable_arguments", None),
    "Connections": ("connections", None), "MaxRetries": ("max_retries", 0),
    "AllocatedCapacity": ("allocated_capacity", None), "Timeout": ("timeout", 2880),
    "MaxCapacity": ("max_capacity", None), "WorkerType": ("worker_type", None),
    "NumberOfWorkers": ("number_of_workers", None),
    "SecurityConfiguration": ("security_configuration", None),
    "NotificationProperty": ("notification_property", None),
    "GlueVersion": ("glue_version", None),
    "CodeGenConfigurationNodes": ("code_gen_configuration_nodes", None),
    "ExecutionClass": ("execution_class", None),
    "SourceControlDetails": ("source_control_details", None),
}


@override("glue", "UpdateJob", errors=(InvalidInputException, EntityNotFoundException))
@moto_errors
def update_job(ctx: Ctx, params: dict) -> dict:
    name = _require(params, "JobName", "UpdateJob")
    update = params.get("JobUpdate")
    if not isinstance(update, dict):
        raise InvalidInputException("UpdateJob: JobUpdate is required")
    if not update.get("Role") or not update.get("Command"):
        raise InvalidInputException("UpdateJob: JobUpdate.Role and JobUpdate.Command are required")
    job = ctx.backend("glue").get_job(name)
    # AWS: "Unspecified configuration is removed or reset to default values."
    for key, (attr, default) in _JOB_FIELDS.items():
        value = update.get(key, default)
        if isinstance(default, dict) and value is None:
            value = {}
        setattr(job, attr, value)
    from moto.core.utils import utcnow

    job.last_modified_on = utcnow()
    return {"JobName": name}


@override("glue", "UpdateTrigger", errors=(InvalidInputException, EntityNotFoundException))
@moto_errors
def update_trigger(ctx: Ctx, params: dict) -> dict:
    from moto.glue.utils import Action, Predicate

    name = _require(params, "Name", "UpdateTrigger")
    update = params.get("TriggerUpdate")
    if not isinstance(update, dict):
        raise InvalidInputException("UpdateTrigger: TriggerUpdate is required")
    glue = ctx.backend("glue")
    trigger = glue.get_trigger(name)
    if "Actions" in update:
        actions = update["Actions"] or []
        if not actions:
            raise InvalidInputException("UpdateTrigger: Actions must not be empty")
        trigger.actions = [Action(a) for a in actions]
    if "Predicate" in update:
        pred = update["Predicate"]
        if pred:
            pred = dict(pred)
            pred.setdefault("Logical", "AND")  # AWS's default; moto's Predicate requires it
        trigger.predicate = Predicate(pred) if pred else None
    if "Description" in update:
        trigger.description = update["Description"]
    if "Schedule" in update:
        trigger.schedule = update["Schedule"]
    if "EventBatchingCondition" in update:
        trigger.event_batching_condition = update["EventBatchingCondition"]
    if trigger.trigger_type == "CONDITIONAL" and trigger.predicate is None:
        raise InvalidInputException("UpdateTrigger: a CONDITIONAL trigger needs a Predicate")
    return {"Trigger": trigger.as_dict()}


@override("glue", "StartTrigger", errors=(InvalidInputException, EntityNotFoundException))
@moto_errors
def start_trigger(ctx: Ctx, params: dict) -> dict:
    """ON_DEMAND triggers stay CREATED (moto makes them ACTIVATED).

    The provider calls StartTrigger after creating an enabled ON_DEMAND trigger and reads
    ``enabled`` back as ``state == CREATED``; moto's ACTIVATED makes every plan show
    ``enabled: false -> true``. On AWS StartTrigger *fires* an on-demand trigger once; we do not
    fire it here (a deploy must not run the pipeline behind the runbook's back) — a deliberate,
    documented difference. Other trigger types are ACTIVATED as on AWS.
    """
    name = _require(params, "Name", "StartTrigger")
    trigger = ctx.backend("glue").get_trigger(name)
    if trigger.trigger_type != "ON_DEMAND":
        trigger.start_trigger()
    return {"Name": name}


def _patch_moto_glue() -> None:
    """GetJob must not report ``ExecutionClass`` the caller never set (moto defaults it to
    STANDARD; the provider's ``execution_class`` is not computed, so every plan would show
    ``"STANDARD" -> null``)."""
    from moto.glue import models as gm

    if getattr(gm, "_lakegate_patched", False):
        return
    orig_init = gm.FakeJob.__init__
    orig_as_dict = gm.FakeJob.as_dict

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        given = kwargs.get("execution_class", args[20] if len(args) > 20 else None)
        orig_init(self, *args, **kwargs)
        if not given:
            self.execution_class = None

    def as_dict(self: Any) -> dict[str, Any]:
        out = orig_as_dict(self)
        if out.get("ExecutionClass") is None:
            out.pop("ExecutionClass", None)
        return out

    gm.FakeJob.__init__ = init  # type: ignore[method-assign]
    gm.FakeJob.as_dict = as_dict  # type: ignore[method-assign]
    gm._lakegate_patched = True  # type: ignore[attr-defined]


_patch_moto_glue()
