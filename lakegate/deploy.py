"""Deploy into the local AWS: ``terraform apply`` of terraform/ into the running local AWS, then
generated bronze data uploaded to the bronze bucket Terraform created (``lakegate deploy``, and the
scenarios' session world, both use :func:`deploy_local`).

Everything goes through the public interfaces: the Terraform driver (provider endpoints pointed
at the local endpoint) and boto3 (``lakegate.localenv.client``); ``localaws`` is not imported.
The bucket and prefix come from the Terraform outputs ``bronze_bucket`` and ``bronze_data_path``
— never from hard-coded names. A summary is written next to the local state file
(``deploy.json``: outputs, uploaded keys, expected alerts) and the outputs alone as
``outputs.json``, where ``lakegate recover/diagnose --env local`` read the pipeline names.

Deploy cache (state pods, :mod:`localaws.snapshot`)
    A fresh ``terraform apply`` of a configuration with S3 lifecycle configurations takes about a
    minute however fast the endpoint is: the AWS provider (5.100.0) waits 10 s after
    ``PutBucketLifecycleConfiguration`` and then needs ten equal reads 5 s apart (55 s, against
    AWS too; measured with ``TF_LOG=trace``, see bench/RESULTS.md). So after a fresh apply into a
    *pristine* local AWS (no request served before, not restored), the server's whole state and
    the Terraform state are saved under a key of everything that decides the result (the
    configuration's files, ``-var`` values and ``TF_VAR_*``, terraform/provider versions, the
    local AWS's code). The next deploy of the same key into a pristine local AWS restores that
    snapshot (about a second) and the Terraform state saved with it, then ``terraform plan
    -refresh=false -detailed-exitcode -out`` and, when that plan is not empty, ``terraform apply``
    of exactly that plan file. Why no refresh is honest here: the restored local AWS answers every
    read with the very objects the saved apply created and read back (the snapshot is taken right
    after that apply, before any other request), and the state file is what that apply wrote from
    those reads, so a refresh could only read the same answers again (it was measured as most of
    a cached deploy's time: ~25 s CPU of provider reads). The plan still compares the
    configuration with the state; a configuration that plans a change on every run (e.g.
    ``timestamp()``) gets that change applied. A
    changed configuration, variable or local AWS version is a different key: a full apply. With
    ``show_state=True`` (the scenarios' world) a hit also keeps ``terraform show -json`` of the
    entry's state in the entry (``state-show.json``), served to later hits for the same state; a
    miss writes it with the entry. The
    cache lives in ``LAKEGATE_DEPLOY_CACHE`` (a folder; ``off`` disables it) or in the Terraform
    directory's lakegate folder (``<tf_dir>/../.lakegate/terraform/<name>/deploy-cache``);
    ``lakegate deploy --no-cache`` always applies from nothing. The newest :data:`CACHE_KEEP`
    entries are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from lakegate import localenv
from lakegate.errors import LakegateError


@dataclass
class DeployResult:
    endpoint: str
    outputs: dict[str, Any]
    bronze_bucket: str | None = None
    bronze_prefix: str | None = None
    uploaded: list[str] = field(default_factory=list)
    rows: int = 0
    expected_alerts: dict[str, int] = field(default_factory=dict)
    apply_seconds: float = 0.0
    upload_seconds: float = 0.0
    cache: str = "off"          # "off" | "miss" (full apply, saved) | "hit" (restored, then planned) | "skipped: why"
    cache_plan: str | None = None  # on a hit: "empty" (nothing to apply), "applied" (that plan was applied) or
    #                                "verified" (restored without a plan: verified earlier in this run)
    tf_state: str | None = None  # the local target's Terraform state file (lakegate local snapshot keeps it)
    driver: Any = field(default=None, repr=False, compare=False)  # the TerraformDriver (not saved)
    # with show_state=True on a cache hit: (sha256 of the state file it shows, `terraform show -json`
    # of it), made while the plan ran; use it only while the state file still has that digest
    state_document: tuple[str, dict] | None = field(default=None, repr=False, compare=False)
    # the deploy-cache entry this deploy restored ("hit") or saved ("miss"), and the sha256 of its
    # Terraform state: what a second world of the same run may restore (:func:`verified_entry`)
    cache_entry: str | None = None
    cache_tfstate_sha256: str | None = None
    # cache_plan "pending" (deploy_local(verify_later=True)): the verification plan still running
    pending: "PendingVerification | None" = field(default=None, repr=False, compare=False)

    def shown_state(self) -> dict | None:
        """``terraform show -json`` of the current state when it was already made for exactly
        this state file (:attr:`state_document`), else None (run ``driver.show_state()``)."""
        if self.pending is not None and self.state_document is None:
            self.state_document = self.pending.shown()
        if self.state_document is None or not self.tf_state:
            return None
        digest, doc = self.state_document
        return doc if _file_sha256(Path(self.tf_state)) == digest else None

    def summary(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("driver", "state_document", "pending")}

    def wait_verified(self) -> tuple[bool, str]:
        """(True, "") once this deploy is known to match the configuration: at once for every
        deploy but a ``pending`` one, whose verification plan this waits for. (False, why) when
        that plan planned a change (nothing of it applied) or failed."""
        if self.pending is None:
            return True, ""
        ok, why = self.pending.wait()
        if self.cache_plan == "pending":
            self.cache_plan = "empty" if ok else "unverified"
        return ok, why


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _show_state_meanwhile(driver: Any, tfstate: Path, box: dict[str, Any]) -> "threading.Thread":
    """``terraform show -json`` of the restored state in a thread, while the caller plans (the
    plan holds the working copy's lock, the show only reads). ``box['doc']`` = (digest, document)
    when the state file had the same digest before and after the show."""
    import threading

    def run() -> None:
        before = _file_sha256(tfstate)
        try:
            doc = driver.show_state(lock=False)
        except Exception:  # noqa: BLE001 - the caller runs show_state() again and reports its error
            return
        if before is not None and _file_sha256(tfstate) == before:
            box["doc"] = (before, doc)

    thread = threading.Thread(target=run, name="lakegate-deploy-show", daemon=True)
    thread.start()
    return thread


def _s3_url(url: Any, name: str) -> tuple[str, str]:
    from lakegate.s3url import split_s3_url   # the one S3 URL parser

    parts = split_s3_url(url) if isinstance(url, str) and url.startswith("s3://") else None
    if parts is None:
        raise LakegateError(f"Terraform output {name!r} is not an s3:// URL: {url!r}",
                            where="terraform/outputs.tf",
                            fix=f"make output {name!r} an s3://bucket/prefix/ URL")
    bucket, prefix = parts
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


CACHE_ENV = "LAKEGATE_DEPLOY_CACHE"
CACHE_KEEP = 4
REFRESH = "refresh"     # cache mode: always apply from nothing, then save (tests that must apply)
SNAPSHOT_FILE = "localaws.snapshot"
TFSTATE_FILE = "terraform.tfstate"
STATE_SHOW_FILE = "state-show.json"   # `terraform show -json` of the entry's state (made with the entry)
# written when a verification plan of the entry's state was empty; see PendingVerification
VERIFIED_FILE = "verified-empty.json"


def cache_root(driver: Any, cache: bool | str | Path | None = None) -> Path | None:
    """The deploy cache folder, or None when disabled (``cache=False`` or ``$LAKEGATE_DEPLOY_CACHE=off``).

    The default does not depend on the working copy (tests and the scenarios use throw-away
    working copies): it is the Terraform directory's default lakegate folder."""
    from lakegate.terraform import _default_work_dir

    if cache is False:
        return None
    if isinstance(cache, (str, Path)) and str(cache) and str(cache) != REFRESH:
        return Path(cache)
    env = os.environ.get(CACHE_ENV, "").strip()
    if env.lower() in ("0", "off", "false", "no"):
        return None
    return Path(env) if env else _default_work_dir(driver.tf_dir) / "deploy-cache"


def cache_key(driver: Any, server_code: str) -> str:
    """Everything that decides what an apply into a pristine local AWS produces."""
    from lakegate.terraform import _check_version

    h = hashlib.sha256()
    for rel in driver._source_entries():   # what terraform reads: the working copy's bytes
        h.update(str(rel).encode() + b"\0" + driver.copy_bytes(rel) + b"\0")
    h.update(json.dumps(driver.variables, sort_keys=True, default=str).encode())
    h.update(json.dumps(sorted((k, v) for k, v in os.environ.items() if k.startswith("TF_VAR_"))).encode())
    lock = driver.tf_dir / ".terraform.lock.hcl"
    h.update(lock.read_bytes() if lock.is_file() else b"")
    h.update(driver.mirror.describe().encode())
    # lakegate's provider override (e.g. the local target's teardown override) decides the result
    # too; only the endpoint in it changes from one local AWS to the next
    h.update(driver._override().replace(str(driver.endpoint), "<endpoint>").encode())
    h.update(repr(_check_version(driver.binary, driver._env())).encode())
    h.update(server_code.encode())
    return h.hexdigest()[:32]


def _saved_show(entry: Path, tfstate: Path, shown: dict[str, Any]) -> bool:
    """``terraform show -json`` of a restored state, as an earlier hit of this entry made it.

    What ``show -json`` prints for a state depends on the state file, the providers' schemas and
    terraform's version only; the cache key covers the last two (lock file, provider mirror,
    terraform version), and the state file must have the digest the saved document was made
    from. So a hit does not start terraform (and the provider, for its schema) to show it again."""
    try:
        saved = json.loads((entry / STATE_SHOW_FILE).read_text())
    except (OSError, ValueError):
        return False
    digest = _file_sha256(tfstate)
    if not isinstance(saved, dict) or digest is None or saved.get("tfstate_sha256") != digest \
            or not isinstance(saved.get("document"), dict):
        return False
    shown["doc"] = (digest, saved["document"])
    return True


def _save_show(entry: Path, shown: dict[str, Any]) -> None:
    """Keep the show made during this hit in the entry, when it showed the entry's own state."""
    doc = shown.get("doc")
    if doc is None or _file_sha256(entry / TFSTATE_FILE) != doc[0]:
        return
    tmp = entry / f".{STATE_SHOW_FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps({"tfstate_sha256": doc[0], "document": doc[1]}))
        tmp.replace(entry / STATE_SHOW_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)


def _mark_verified(entry: Path, tfstate: Path, empty: bool) -> None:
    """Record in the entry whether a verification plan of its state was empty (or drop that
    record): what lets a later deploy verify it while its caller goes on."""
    marker = entry / VERIFIED_FILE
    digest = _file_sha256(tfstate)
    if not empty or digest is None or digest != _file_sha256(entry / TFSTATE_FILE):
        marker.unlink(missing_ok=True)
        return
    tmp = entry / f".{VERIFIED_FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps({"tfstate_sha256": digest}))
        tmp.replace(marker)
    except OSError:
        tmp.unlink(missing_ok=True)


def _was_verified(entry: Path) -> bool:
    try:
        doc = json.loads((entry / VERIFIED_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("tfstate_sha256") == _file_sha256(entry / TFSTATE_FILE)


class PendingVerification:
    """The verification plan of a restored deploy-cache entry (``terraform plan -refresh=false
    -detailed-exitcode``, nothing applied), run in a thread while the caller goes on (the
    scenarios' first world: lakegate/smoke.py counts its results only once this says the entry
    matches the configuration, and runs them again in a world that deployed and verified by itself
    when it does not). Only for an entry whose verification plan was empty before
    (:data:`VERIFIED_FILE`), so a configuration that plans a change on every run (``timestamp()``)
    keeps the blocking verification, which applies that change."""

    def __init__(self, driver: Any, entry: Path, tfstate: Path, shown: dict[str, Any] | None,
                 show: "threading.Thread | None") -> None:
        import threading

        self._driver, self._entry, self._tfstate = driver, entry, tfstate
        self._shown, self._show = shown, show
        self._result: tuple[bool, str] = (False, "the verification plan did not finish")
        self._thread = threading.Thread(target=self._run, name="lakegate-deploy-verify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            changed = self._driver.apply_planned(refresh=False, apply=False)
        except Exception as err:  # noqa: BLE001 - the caller reports it as unverified
            self._result = (False, f"the verification plan of deploy-cache entry {self._entry.name} "
                                   f"failed: {str(err).splitlines()[0] if str(err) else type(err).__name__}")
        else:
            self._result = ((True, "") if not changed else
                            (False, f"the verification plan of deploy-cache entry {self._entry.name} "
                                    "planned changes (an earlier plan of it was empty)"))
        _mark_verified(self._entry, self._tfstate, self._result[0])

    def shown(self) -> tuple[str, dict] | None:
        """The state's ``show -json`` made beside the plan (waits for it), or None."""
        if self._shown is None:
            return None
        if self._show is not None:
            self._show.join()
            self._show = None
            _save_show(self._entry, self._shown)
        return self._shown.get("doc")

    def wait(self) -> tuple[bool, str]:
        self._thread.join()
        self.shown()
        return self._result


def _has_resources(tfstate: Path) -> bool:
    try:
        return bool(json.loads(tfstate.read_text()).get("resources"))
    except (OSError, ValueError, AttributeError):
        return False


def _prune(root: Path, keep: int = CACHE_KEEP) -> None:
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _apply_with_cache(driver: Any, st: localenv.LocalState,
                      cache: bool | str | Path | None,
                      shown: dict[str, Any] | None = None,
                      info: dict[str, Any] | None = None,
                      verify_later: bool = False) -> tuple[str, str | None]:
    """``driver.apply()``, restoring / saving the deploy cache around it (module doc).

    ``shown``: on a hit, ``terraform show -json`` of the restored state is made while the plan
    runs, into ``shown['doc']`` (see :func:`_show_state_meanwhile`).
    ``verify_later``: on a hit of an entry verified before, return at once with the verification
    plan running (``info['pending']``, a :class:`PendingVerification`; plan "pending").
    Returns (what the cache did, on a hit whether the plan was "empty" or "applied");
    ``info['entry']``: the entry restored or saved."""
    info = {} if info is None else info
    root = cache_root(driver, cache)
    if root is None:
        driver.apply()
        return "off", None
    health = localenv.health(st.endpoint) or {}
    code = str(health.get("code_sha256") or "")
    if health.get("requests") != 0 or health.get("restored_from") or not code:
        driver.apply()
        why = ("the local AWS already served requests" if health.get("requests")
               else "the local AWS was restored from a snapshot" if health.get("restored_from")
               else "the local AWS does not support snapshots")
        return f"skipped: {why}", None
    entry = root / cache_key(driver, code)
    tfstate = driver.copy_dir / TFSTATE_FILE
    if cache != REFRESH and (entry / SNAPSHOT_FILE).is_file() and (entry / TFSTATE_FILE).is_file():
        localenv.restore_snapshot(st, entry / SNAPSHOT_FILE)
        driver.copy_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry / TFSTATE_FILE, tfstate)
        os.utime(entry)
        info["entry"] = entry
        # The restored local AWS is, object for object, the one the saved apply left, and the
        # Terraform state is the one that apply wrote while reading those objects back: a refresh
        # would read the same answers again (module doc). So plan against the recorded state
        # (-refresh=false) and apply exactly that plan when it is not empty.
        show = None
        later = verify_later and _was_verified(entry)
        if (shown is not None and not _saved_show(entry, tfstate, shown)) or later:
            driver.init()   # the show and the plan-only run beside each other: init first, once
        if shown is not None and "doc" not in shown:
            show = _show_state_meanwhile(driver, tfstate, shown)
        if later:
            info["pending"] = PendingVerification(driver, entry, tfstate, shown, show)
            return "hit", "pending"
        try:
            applied = driver.apply_planned(refresh=False)
            _mark_verified(entry, tfstate, not applied)
            return "hit", "applied" if applied else "empty"
        finally:
            if show is not None:
                show.join()
                _save_show(entry, shown)
    driver.apply()
    if _has_resources(tfstate):
        # the entry is complete when it is written: `show -json` of its state (what a scenarios'
        # world reads on every hit, and this deploy's own world right away) is made beside the
        # snapshot, instead of by the entry's first hit
        box: dict[str, Any] = {} if shown is None else shown
        show = _show_state_meanwhile(driver, tfstate, box)
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{entry.name}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        localenv.save_snapshot(st, tmp / SNAPSHOT_FILE)
        shutil.copyfile(tfstate, tmp / TFSTATE_FILE)
        show.join()
        if box.get("doc") is not None and box["doc"][0] == _file_sha256(tmp / TFSTATE_FILE):
            (tmp / STATE_SHOW_FILE).write_text(json.dumps({"tfstate_sha256": box["doc"][0],
                                                           "document": box["doc"][1]}))
        if (entry / SNAPSHOT_FILE).is_file() and (entry / TFSTATE_FILE).is_file():
            shutil.rmtree(tmp, ignore_errors=True)   # saved meanwhile by a parallel run: keep it
        else:
            shutil.rmtree(entry, ignore_errors=True)  # an incomplete leftover
            try:
                tmp.rename(entry)   # atomic: readers see a complete entry or none
            except OSError:         # another run saved the same key first: keep theirs
                shutil.rmtree(tmp, ignore_errors=True)
        if _file_sha256(entry / TFSTATE_FILE) == _file_sha256(tfstate):
            info["entry"] = entry   # the entry holds exactly what this apply made
        _prune(root)
    return "miss", None


def _restore_verified(driver: Any, st: localenv.LocalState, entry: Path, tfstate_sha256: str) -> None:
    """Restore the deploy-cache ``entry`` into the pristine local AWS ``st`` without a plan: the
    caller knows that, in this same run, the entry was verified against this configuration (its
    verification plan was empty) or saved right after a full apply of it (:func:`verified_entry`).
    Fails closed: a server that already served requests or was restored, a missing entry, or an
    entry whose Terraform state is not the one verified (replaced or pruned meanwhile) is an error
    before anything is restored."""
    health = localenv.health(st.endpoint) or {}
    if health.get("requests") != 0 or health.get("restored_from"):
        raise LakegateError("the local AWS is not pristine (it served requests or was restored), so the "
                            "verified deploy-cache entry cannot be restored into it", where=st.endpoint,
                            fix="restore into a freshly started local AWS")
    if not (entry / SNAPSHOT_FILE).is_file() or _file_sha256(entry / TFSTATE_FILE) != tfstate_sha256:
        raise LakegateError("the deploy-cache entry verified in this run is gone or was replaced",
                            where=str(entry), fix="run again (a new deploy verifies the entry again)")
    localenv.restore_snapshot(st, entry / SNAPSHOT_FILE)
    tfstate = driver.copy_dir / TFSTATE_FILE
    driver.copy_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(entry / TFSTATE_FILE, tfstate)
    if _file_sha256(tfstate) != tfstate_sha256:
        raise LakegateError("the Terraform state restored from the deploy cache changed while it was copied",
                            where=str(entry), fix="run again")


def verified_entry(res: DeployResult) -> tuple[str, str] | None:
    """(entry, sha256 of its Terraform state) when the local AWS ``res`` deployed is, object for
    object, that deploy-cache entry: a hit whose verification plan was empty, or a miss whose full
    apply was saved as the entry. None otherwise (a plan was applied on top, no cache, ...)."""
    if not res.cache_entry or not res.cache_tfstate_sha256:
        return None
    if res.cache_plan == "pending":
        res.wait_verified()   # "empty" or "unverified" from here on
    if res.cache == "miss" or (res.cache == "hit" and res.cache_plan in ("empty", "verified")):
        return res.cache_entry, res.cache_tfstate_sha256
    return None


def find_entry(tf_dir: Path, state_path: Path | None = None, work_dir: Path | None = None,
               variables: dict | None = None, cache: bool | str | Path | None = None) -> tuple[str, str] | None:
    """(entry, sha256 of its Terraform state) of the deploy-cache entry a deploy of ``tf_dir``
    into the running local AWS would restore now, or None (no cache, no complete entry, a server
    that is not pristine). Nothing is restored or planned: whether the entry still matches the
    configuration is what a deploy's verification plan decides (the scenarios' second world
    restores it early and counts its results only once the first world verified that entry)."""
    from lakegate.terraform import TerraformDriver

    st = localenv.load_state(state_path)
    driver = TerraformDriver(tf_dir, target="local", endpoint=st.endpoint, work_dir=work_dir, variables=variables)
    root = cache_root(driver, cache)
    if root is None or cache == REFRESH:
        return None
    health = localenv.health(st.endpoint) or {}
    code = str(health.get("code_sha256") or "")
    if health.get("requests") != 0 or health.get("restored_from") or not code:
        return None
    entry = root / cache_key(driver, code)
    digest = _file_sha256(entry / TFSTATE_FILE)
    if not (entry / SNAPSHOT_FILE).is_file() or digest is None:
        return None
    return str(entry), digest


def deploy_local(tf_dir: Path, rows: int, seed: int, upload: bool = True,
                 state_path: Path | None = None, work_dir: Path | None = None,
                 variables: dict | None = None, cache: bool | str | Path | None = None,
                 seed_dir: Path | None = None, workflow: str | None = None,
                 region: str | None = None, show_state: bool = False,
                 verified: tuple[str | Path, str] | None = None,
                 verify_later: bool = False) -> DeployResult:
    """Apply ``tf_dir`` into the running local AWS and upload bronze data; see the module doc.

    ``seed_dir`` (a user's pipeline, ``[environments.NAME] seed``): upload those files below the
    ingestion crawler's S3 target (found by discovery in ``region``, ``workflow`` naming the
    workflow) instead of generated bronze data.

    ``cache``: None (default: ``$LAKEGATE_DEPLOY_CACHE`` or ``<tf_dir>/../.lakegate/terraform/
    <name>/deploy-cache``), a cache folder, False (always a full apply, nothing saved) or
    ``"refresh"`` (always a full apply from nothing, then saved for later deploys).

    ``show_state``: on a cache hit, also make ``terraform show -json`` of the restored state while
    the verification plan runs (two terraform processes side by side instead of one after the
    other) and keep it in the cache entry, or take the one an earlier hit kept there
    (:func:`_saved_show`); :meth:`DeployResult.shown_state` returns it while the state file is
    unchanged.

    ``verified``: (entry, sha256 of its Terraform state) from :func:`verified_entry` of another
    deploy of the same configuration in the same run (the scenarios' second world): that entry is
    restored into this pristine local AWS without a verification plan of its own
    (:func:`_restore_verified`; ``cache`` is then not used).

    ``verify_later``: a hit of an entry whose verification plan was empty before returns while
    this one runs (``cache_plan`` "pending", :class:`PendingVerification`): call
    :meth:`DeployResult.wait_verified` before counting on the deploy; nothing is applied when it
    finds changes (the caller deploys again, without ``verify_later``)."""
    from lakegate.terraform import TerraformDriver

    st = localenv.load_state(state_path)
    driver = TerraformDriver(tf_dir, target="local", endpoint=st.endpoint, work_dir=work_dir,
                             variables=variables)
    t0 = time.perf_counter()
    shown: dict[str, Any] | None = {} if show_state else None
    info: dict[str, Any] = {}
    if verified is not None:
        _restore_verified(driver, st, Path(verified[0]), verified[1])
        cache_state, cache_plan = "hit", "verified"
        info["entry"] = Path(verified[0])
    else:
        cache_state, cache_plan = _apply_with_cache(driver, st, cache, shown, info, verify_later=verify_later)
    # what `terraform output -json` prints, read from the local state file the apply just wrote
    # (one terraform start-up less); `terraform output` when there is no such file
    outputs = driver.state_outputs()
    if outputs is None:
        outputs = driver.outputs()
    res = DeployResult(endpoint=st.endpoint, outputs=outputs,
                       apply_seconds=round(time.perf_counter() - t0, 2), cache=cache_state,
                       cache_plan=cache_plan,
                       tf_state=str(driver.copy_dir / TFSTATE_FILE))
    if info.get("entry") is not None:
        res.cache_entry = str(info["entry"])
        res.cache_tfstate_sha256 = _file_sha256(Path(info["entry"]) / TFSTATE_FILE)
    res.driver = driver
    res.pending = info.get("pending")
    res.state_document = (shown or {}).get("doc") if res.pending is None else None
    folder = localenv.state_path(state_path).parent
    _write_json(folder / "outputs.json", outputs)
    if upload and seed_dir is not None:
        from lakegate import seed as seeding
        from lakegate.envconfig import Clients, Environment
        from lakegate.names import names_for

        clients = Clients(Environment(name="local", kind="local", region=region), endpoint=st.endpoint)
        t1 = time.perf_counter()
        res.uploaded = seeding.upload_dir(clients, names_for(outputs, clients, workflow=workflow), seed_dir)
        res.upload_seconds = round(time.perf_counter() - t1, 2)
    elif upload and rows > 0:
        from lakegate import seed as seeding
        from lakegate.envconfig import Clients, Environment
        from lakegate.names import PipelineNames

        names = PipelineNames.from_outputs(outputs, source=f"terraform output ({tf_dir})")
        bucket, prefix = _s3_url(outputs.get("bronze_data_path"), "bronze_data_path")
        clients = Clients(Environment(name="local", kind="local"), endpoint=st.endpoint)
        t1 = time.perf_counter()
        gen = seeding.upload_bronze(clients, names, rows=rows, seed=seed)
        res.bronze_bucket, res.bronze_prefix = bucket, prefix   # the key prefix, without s3://bucket/
        res.uploaded = gen.objects
        res.rows = gen.rows
        res.expected_alerts = dict(gen.expected_alerts)
        res.upload_seconds = round(time.perf_counter() - t1, 2)
    _write_json(folder / "deploy.json", res.summary())
    return res


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)


