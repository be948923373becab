"""Which account a request's access key belongs to, without building IAM for every partition.

moto 5.2.5 ``moto.iam.models.get_account_id_from(access_key)`` (called for every request moto
answers, from ``BaseResponse.get_current_account``, and by our server for override requests)
reads ``iam_backends[account][partition].access_keys`` for all six partitions (aws, aws-cn,
aws-us-gov, aws-iso, aws-iso-b, aws-eusc) of every account. Reading a partition creates its
``IAMBackend``, and with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` each one parses and builds the
~1,100 AWS managed policies (~0.17 CPU-s each): the first request of a server cost ~0.9 CPU-s,
and every snapshot held six copies of the policies (~23 MiB instead of ~4 MiB) to pickle and
unpickle.

A partition whose backend does not exist yet holds no access keys (a new ``IAMBackend`` starts
with none), so looking only at the backends that exist gives the same account for every key, in
the same order. A partition that is used later (a request in ``cn-north-1``, say) gets its
backend, managed policies included, when moto first reads it, as before.
"""

from __future__ import annotations

from typing import Any


def _patch_moto_iam() -> None:
    from moto.iam import models
    from moto.utilities.utils import PARTITION_NAMES

    if getattr(models.get_account_id_from, "_localaws", False):
        return

    def get_account_id_from(access_key: str) -> str:
        # list(): same guard as moto's (another thread may add an account meanwhile)
        for account_id, account in list(models.iam_backends.items()):
            for partition in PARTITION_NAMES:
                backend: Any = dict.get(account, partition)   # no backend: no access keys
                if backend is not None and access_key in backend.access_keys:
                    return account_id
        return models.DEFAULT_ACCOUNT_ID

    get_account_id_from._localaws = True  # type: ignore[attr-defined]
    get_account_id_from.__doc__ = __doc__
    models.get_account_id_from = get_account_id_from


_patch_moto_iam()
