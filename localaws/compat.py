"""Terraform compatibility: what the AWS provider calls that moto 5.2.5 lacks or gets wrong.

Found by running ``terraform apply → change → apply → plan → destroy`` of ``terraform/`` against
the server (tests/localaws_core/test_terraform_e2e.py does it again). Each fix says why:

Glue (JSON overrides)
  * ``UpdateJob`` / ``UpdateCrawler`` / ``UpdateTrigger``: not implemented in moto (HTTP 500,
    which the provider retries for minutes, so every in-place update hangs). Semantics as AWS
    documents them: ``JobUpdate`` *replaces* the job definition (unspecified settings are reset),
    ``UpdateCrawler`` changes only the fields given and bumps ``Version``, ``TriggerUpdate``
    replaces the fields given. Updating a running crawler → ``CrawlerRunningException``.
Athena (JSON overrides)
  * ``UpdateWorkGroup``: not implemented in moto.
  * ``TagResource`` / ``UntagResource`` / ``ListTagsForResource``: moto answers "workgroup does
    not exist" for a workgroup created without tags, which fails ``aws_athena_workgroup``.
IAM (query protocol; the same registry, encoded by :mod:`localaws.protocols`)
  * ``SimulatePrincipalPolicy``: not implemented in moto; the recovery's IAM-propagation wait
    (runbook PASSO 4) polls it. Decided by the gate's evaluator (``tf_checks.iam``) over the
    role's/user's inline, attached and AWS managed policies; an undecidable condition is
    ``implicitDeny`` (fail closed). Context entries are ignored.
Glue (moto patched in-process)
  * ``StartTrigger`` on an ON_DEMAND trigger keeps it CREATED (see :func:`start_trigger`) and
    ``GetJob`` omits an ``ExecutionClass`` never set — otherwise every plan after apply shows
    changes.
S3 (moto patched in-process, minimal)
  * ``FakeDeleteMarker`` has no ``dispose`` → destroying a versioned bucket with
    ``force_destroy`` fails with ``'FakeDeleteMarker' object has no attribute 'dispose'``. A
    delete marker owns no buffer, so ``dispose`` is a no-op.
  * Bucket policies: moto ignores ``Condition`` and so applies the standard TLS-only statement
    (``Deny *`` when ``aws:SecureTransport`` is ``false``) to every request → 403 on HeadObject.
    On AWS every SDK call uses TLS, so we evaluate ``aws:SecureTransport`` as ``true``; any other
    condition keeps moto's behaviour (statement applies).
  * ``PutBucketLifecycleConfiguration`` answers without ``x-amz-transition-default-minimum-
    object-size``; :func:`wrap_start_response` adds the header as AWS does.
  * The ~55 s ``aws_s3_bucket_lifecycle_configuration`` create/update is NOT a mismatch we could
    fix: hashicorp/aws 5.100.0 ``waitLifecycleConfigEquals`` is a StateChangeConf with
    ``Delay: 10s, PollInterval: 5s, ContinuousTargetOccurence: 10`` (raised from 3 for slow
    regions, provider PR #41764), so it needs ten consecutive equal reads = 10 s + 9 x 5 s = 55 s
    minimum, against AWS too. Checked with TF_LOG=DEBUG + LOCALAWS_TRACE=1 on one bucket: PUT at
    t, GETs at t+10.0 s ... t+55.1 s every 5.0 s, done after exactly ten; every answer equal
    (a single unequal answer resets the count; none did — otherwise it would run into the 3-min
    timeout). ``test_lifecycle_reads_back_exactly_what_was_put`` pins the equality (rules in the
    provider's shape + TransitionDefaultMinimumObjectSize). The buckets' six configurations wait
    in parallel, so it costs ~55 s once per fresh apply; the test suite overlaps it instead
    (tests/_background.py).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from localaws.dispatch import AwsError, Ctx, override

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def moto_errors(func: Callable[[Ctx, dict], dict]) -> Callable[[Ctx, dict], dict]:
    """Turn moto's JsonRESTError (e.g. EntityNotFoundException) into :class:`AwsError`."""

    @functools.wraps(func)
    def wrapper(ctx: Ctx, params: dict) -> dict:
        from moto.core.exceptions import JsonRESTError

        try:
            return func(ctx, params)
        except JsonRESTError as err:
            raise AwsError(err.error_type, getattr(err, "message", str(err)), err.code) from err

    return wrapper


def _require(params: dict, key: str, op: str) -> Any:
    value = params.get(key)
    if value in (None, ""):
        raise AwsError("InvalidInputException", f"{op}: {key} is required")
    return value


# ---------------------------------------------------------------------------------------------
# Glue
# ---------------------------------------------------------------------------------------------

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


@override("glue", "UpdateCrawler")
@moto_errors
def update_crawler(ctx: Ctx, params: dict) -> dict:
    name = _require(params, "Name", "UpdateCrawler")
    crawler = ctx.backend("glue").get_crawler(name)
    if _crawler_running(ctx, crawler):
        raise AwsError("CrawlerRunningException", f"Crawler with name {name} has already started")
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


@override("glue", "UpdateJob")
@moto_errors
def update_job(ctx: Ctx, params: dict) -> dict:
    name = _require(params, "JobName", "UpdateJob")
    update = params.get("JobUpdate")
    if not isinstance(update, dict):
        raise AwsError("InvalidInputException", "UpdateJob: JobUpdate is required")
    if not update.get("Role") or not update.get("Command"):
        raise AwsError("InvalidInputException",
                       "UpdateJob: JobUpdate.Role and JobUpdate.Command are required")
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


@override("glue", "UpdateTrigger")
@moto_errors
def update_trigger(ctx: Ctx, params: dict) -> dict:
    from moto.glue.utils import Action, Predicate

    name = _require(params, "Name", "UpdateTrigger")
    update = params.get("TriggerUpdate")
    if not isinstance(update, dict):
        raise AwsError("InvalidInputException", "UpdateTrigger: TriggerUpdate is required")
    glue = ctx.backend("glue")
    trigger = glue.get_trigger(name)
    if "Actions" in update:
        actions = update["Actions"] or []
        if not actions:
            raise AwsError("InvalidInputException", "UpdateTrigger: Actions must not be empty")
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
        raise AwsError("InvalidInputException", "UpdateTrigger: a CONDITIONAL trigger needs a Predicate")
    return {"Trigger": trigger.as_dict()}


@override("glue", "StartTrigger")
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


# ---------------------------------------------------------------------------------------------
# Athena
# ---------------------------------------------------------------------------------------------


def _workgroup(ctx: Ctx, name: Any) -> Any:
    if not isinstance(name, str) or not name:
        raise AwsError("InvalidRequestException", "WorkGroup is required")
    wg = ctx.backend("athena").work_groups.get(name)
    if wg is None:
        raise AwsError("InvalidRequestException", f"WorkGroup {name} is not found.")
    return wg


@override("athena", "UpdateWorkGroup")
def update_work_group(ctx: Ctx, params: dict) -> dict:
    wg = _workgroup(ctx, params.get("WorkGroup"))
    if "Description" in params:
        wg.description = params["Description"]
    if params.get("State") in ("ENABLED", "DISABLED"):
        wg.state = params["State"]
    upd = params.get("ConfigurationUpdates") or {}
    conf = wg.configuration
    for key in ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled",
                "BytesScannedCutoffPerQuery", "RequesterPaysEnabled", "AdditionalConfiguration",
                "ExecutionRole", "CustomerContentEncryptionConfiguration",
                "EnableMinimumEncryptionConfiguration", "QueryResultsS3AccessGrantsConfiguration",
                "IdentityCenterConfiguration", "ManagedQueryResultsConfiguration"):
        if key in upd:
            conf[key] = upd[key]
    if upd.get("RemoveBytesScannedCutoffPerQuery"):
        conf.pop("BytesScannedCutoffPerQuery", None)
    if upd.get("RemoveCustomerContentEncryptionConfiguration"):
        conf.pop("CustomerContentEncryptionConfiguration", None)
    if "EngineVersion" in upd:
        selected = (upd["EngineVersion"] or {}).get("SelectedEngineVersion", "AUTO")
        effective = "Athena engine version 3" if selected == "AUTO" else selected
        conf["EngineVersion"] = {"SelectedEngineVersion": selected,
                                 "EffectiveEngineVersion": effective}
    rcu = upd.get("ResultConfigurationUpdates")
    if rcu:
        rc = conf.setdefault("ResultConfiguration", {})
        for key in ("OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner",
                    "AclConfiguration"):
            if key in rcu:
                rc[key] = rcu[key]
            if rcu.get(f"Remove{key}"):
                rc.pop(key, None)
    return {}


def _athena_resource(ctx: Ctx, arn: Any) -> Any:
    if not isinstance(arn, str) or ":athena:" not in arn:
        raise AwsError("InvalidRequestException", f"Invalid ResourceARN: {arn}")
    backend = ctx.backend("athena")
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    table = {"workgroup": backend.work_groups, "datacatalog": backend.data_catalogs,
             "capacity-reservation": backend.capacity_reservations}.get(kind)
    if table is None or name not in table:
        raise AwsError("ResourceNotFoundException", f"The resource {arn} does not exist.")
    return backend


@override("athena", "TagResource")
def tag_resource(ctx: Ctx, params: dict) -> dict:
    arn = params.get("ResourceARN")
    backend = _athena_resource(ctx, arn)
    tags = params.get("Tags") or []
    backend.tagger.tag_resource(arn, tags)
    return {}


@override("athena", "UntagResource")
def untag_resource(ctx: Ctx, params: dict) -> dict:
    arn = params.get("ResourceARN")
    backend = _athena_resource(ctx, arn)
    backend.tagger.untag_resource_using_names(arn, params.get("TagKeys") or [])
    return {}


@override("athena", "ListTagsForResource")
def list_tags_for_resource(ctx: Ctx, params: dict) -> dict:
    arn = params.get("ResourceARN")
    backend = _athena_resource(ctx, arn)
    tags = backend.tagger.list_tags_for_resource(arn).get("Tags", [])
    return {"Tags": sorted(tags, key=lambda t: t["Key"])}


# ---------------------------------------------------------------------------------------------
# S3 (in-process patches of moto and a response header)
# ---------------------------------------------------------------------------------------------


def _secure_transport_applies(condition: dict) -> bool:
    """Does a statement's Condition hold for a TLS request? Unknown keys: assume it does."""
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            if key.lower() != "aws:securetransport":
                continue
            if operator not in ("Bool", "BoolIfExists"):
                continue
            vals = values if isinstance(values, list) else [values]
            if "true" not in [str(v).lower() for v in vals]:
                return False
    return True


def _patch_moto_s3() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3 import models as s3models

    if getattr(s3models, "_lakegate_patched", False):
        return

    def dispose(self: Any, garbage: bool = False) -> None:  # noqa: ARG001 - moto's signature
        return None

    s3models.FakeDeleteMarker.dispose = dispose  # type: ignore[attr-defined]

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        raw = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
        try:
            doc = json.loads(raw)
        except ValueError:
            return IAMPolicy(raw).is_action_permitted(action, resource)
        stmts = doc.get("Statement", [])
        if isinstance(stmts, dict):
            stmts = [stmts]
        kept = [s for s in stmts if _secure_transport_applies(s.get("Condition") or {})]
        if not kept:
            return PermissionResult.NEUTRAL
        doc["Statement"] = kept
        return IAMPolicy(json.dumps(doc)).is_action_permitted(action, resource)

    s3models.FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    s3models._lakegate_patched = True  # type: ignore[attr-defined]


_patch_moto_s3()


# ---------------------------------------------------------------------------------------------
# IAM SimulatePrincipalPolicy (query protocol; moto: not implemented)
# ---------------------------------------------------------------------------------------------

_DECISIONS = {"allow": "allowed", "explicit_deny": "explicitDeny", "implicit_deny": "implicitDeny",
              "conditional": "implicitDeny"}  # a condition we cannot decide: fail closed


def principal_policies(ctx: Ctx, arn: str) -> dict[str, Any]:
    """``{source id: document}`` of a role's or user's inline and attached (incl. AWS managed,
    falling back to the gate's snapshot) policies, plus a user's groups' policies."""
    from tf_checks.iam import managed_policy

    iam = ctx.backend("iam")
    kind = arn.split(":", 5)[-1].split("/", 1)[0] if arn.startswith("arn:") else ""
    name = arn.rsplit("/", 1)[-1]
    if kind == "role":
        principals = [iam.get_role(name)]
    elif kind == "user":
        user = iam.get_user(name)
        principals = [user] + [g for g in iam.groups.values() if user in g.users]
    else:
        raise AwsError("InvalidInput", f"Invalid ARN: {arn} (a role or user ARN is required)")
    docs: dict[str, Any] = {}
    for p in principals:
        for pname, doc in p.policies.items():
            docs[f"{p.name}_{pname}"] = doc
        for parn, pol in p.managed_policies.items():
            version = next((v for v in pol.versions if v.is_default), None)
            doc = version.document if version is not None and version.document else managed_policy(parn)
            if doc is not None:
                docs[parn] = doc
    return docs


@override("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(ctx: Ctx, params: dict) -> dict:
    """Answer ``SimulatePrincipalPolicy`` with the gate's IAM evaluator (``tf_checks.iam``)."""
    from moto.core.exceptions import ServiceException, _RESTError

    from tf_checks.iam import evaluate

    arn = params.get("PolicySourceArn") or ""
    actions = params.get("ActionNames") or []
    if not arn or not actions:
        raise AwsError("InvalidInput", "PolicySourceArn and ActionNames are required", 400)
    resources = params.get("ResourceArns") or ["*"]
    try:
        policies = principal_policies(ctx, arn)
    except (ServiceException, _RESTError) as err:
        raise AwsError("NoSuchEntity", f"The principal {arn} cannot be found.", 404) from err
    results = []
    for action in actions:
        for resource in resources:
            d = evaluate(policies, action, resource) if policies else None
            decision = _DECISIONS[d.decision] if d is not None else "implicitDeny"
            matched = [{"SourcePolicyId": str(src),
                        "SourcePolicyType": ("aws-managed" if str(src).startswith("arn:aws:iam::aws:")
                                             else "IAM Policy")}
                       for src, _stmt in (d.matched if d is not None and d.allowed else [])]
            results.append({"EvalActionName": action, "EvalResourceName": resource,
                            "EvalDecision": decision, "MatchedStatements": matched,
                            "MissingContextValues": []})
    return {"IsTruncated": False, "EvaluationResults": results}


def wrap_start_response(environ: dict[str, Any], start_response: Callable[..., Any]) -> Callable[..., Any]:
    """Add headers AWS sends and moto does not, for requests forwarded to moto."""
    method = environ.get("REQUEST_METHOD")
    query = environ.get("QUERY_STRING", "")
    keys = {part.split("=", 1)[0] for part in query.split("&") if part}
    if method == "PUT" and "lifecycle" in keys and "HTTP_X_AMZ_TARGET" not in environ:
        value = environ.get("HTTP_X_AMZ_TRANSITION_DEFAULT_MINIMUM_OBJECT_SIZE",
                            "all_storage_classes_128K")

        def patched(status: str, headers: list, exc_info: Any = None) -> Any:
            if status.startswith("200") and not any(
                    h[0].lower() == "x-amz-transition-default-minimum-object-size" for h in headers):
                headers = list(headers) + [("x-amz-transition-default-minimum-object-size", value)]
            return start_response(status, headers, exc_info)

        return patched
    return start_response


__all__ = ["wrap_start_response", "update_job", "update_crawler", "update_trigger",
           "update_work_group", "moto_errors"]
