"""Athena work groups and tags as the Terraform provider manages them (moto 5.2.5 gaps):

* ``UpdateWorkGroup``: not implemented in moto.
* ``TagResource`` / ``UntagResource`` / ``ListTagsForResource``: moto answers "workgroup does
  not exist" for a workgroup created without tags, which fails ``aws_athena_workgroup``.
"""

from __future__ import annotations

from typing import Any

from localaws.dispatch import Ctx, override
from localaws.athena.exceptions import InvalidRequestException, ResourceNotFoundException

def _workgroup(ctx: Ctx, name: Any) -> Any:
    if not isinstance(name, str) or not name:
        raise InvalidRequestException("WorkGroup is required")
    wg = ctx.backend("athena").work_groups.get(name)
    if wg is None:
        raise InvalidRequestException(f"WorkGroup {name} is not found.")
    return wg


@override("athena", "UpdateWorkGroup", errors=(InvalidRequestException,))
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
        raise InvalidRequestException(f"Invalid ResourceARN: {arn}")
    backend = ctx.backend("athena")
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    table = {"workgroup": backend.work_groups, "datacatalog": backend.data_catalogs,
             "capacity-reservation": backend.capacity_reservations}.get(kind)
    if table is None or name not in table:
        raise ResourceNotFoundException(f"The resource {arn} does not exist.")
    return backend


@override("athena", "TagResource", errors=(InvalidRequestException, ResourceNotFoundException))
def tag_resource(ctx: Ctx, params: dict) -> dict:
    arn = params.get("ResourceARN")
    backend = _athena_resource(ctx, arn)
    tags = params.get("Tags") or []
    backend.tagger.tag_resource(arn, tags)
    return {}


@override("athena", "UntagResource", errors=(InvalidRequestException, ResourceNotFoundException))
def untag_resource(ctx: Ctx, params: dict) -> dict:
    arn = params.get("ResourceARN")
    backend = _athena_resource(ctx, arn)
    backend.tagger.untag_resource_using_names(arn, params.get("TagKeys") or [])
    return {}


@override("athena", "ListTagsForResource", errors=(InvalidRequestException, ResourceNotFoundException))
def list_tags_for_resource(ctx: Ctx, params: dict) -> dict:
    arn = params.get("ResourceARN")
    backend = _athena_resource(ctx, arn)
    tags = backend.tagger.list_tags_for_resource(arn).get("Tags", [])
    return {"Tags": sorted(tags, key=lambda t: t["Key"])}
