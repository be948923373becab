"""S3 as moto 5.2.5 serves it, patched where the Terraform provider or a Glue runtime sees a
difference from AWS (moto patched in-process on import; the response header added by the server
for requests it forwards to moto).

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

import json
from typing import Any, Callable


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
