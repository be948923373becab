"""The local AWS HTTP endpoint: moto's WSGI application in-process, wrapped by our layer.

Request flow (:class:`LocalAwsApp`):

1. ``/_lakegate/...`` — admin endpoints: health (PID and the SHA-256 of the per-process token, so
   the CLI can check that the server answering is the one it started without the token ever
   leaving the state file) and the fault list are open; every other admin endpoint (faults,
   shutdown) changes the server and requires ``X-Lakegate-Token: <token>`` — without it the
   answer is 403 and nothing changes (any local process can reach 127.0.0.1; only the owner of
   the state file, mode 0600, knows the token).
2. JSON-protocol requests (``X-Amz-Target`` with a prefix from
   :func:`localaws.dispatch.target_prefixes`, read from botocore's models) and query-protocol
   requests (form ``Action=``, service from the SigV4 credential scope) whose
   ``(service, operation)`` has an override in :data:`localaws.dispatch.OVERRIDES` are answered
   by the handler, with :class:`Ctx` built from the request (account from the access key, region
   from the SigV4 credential scope); :mod:`localaws.protocols` encodes the query protocol.
3. Everything else goes to moto unchanged.

Every moto call and every handler call holds the runtime's global state lock, so background
threads (crawls, job runs, queries) that take the same lock never see half-made state. moto is
fast (sub-millisecond per call), so serialising it costs nothing measurable.

``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` is set before moto is imported: AWS managed policies
(e.g. ``AWSGlueServiceRole``) exist only then.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from localaws import dispatch  # noqa: E402
from localaws.s3 import wrap_start_response  # noqa: E402  (localaws.s3 patches moto on import)
from localaws.dispatch import AwsError, Ctx  # noqa: E402
from localaws.exceptions import InternalFailure, SerializationException  # noqa: E402
from localaws.runtime import Runtime  # noqa: E402

log = logging.getLogger("localaws.server")

#: ``LOCALAWS_TRACE=1`` logs every forwarded request/response body (debugging compatibility).
TRACE = os.environ.get("LOCALAWS_TRACE", "") not in ("", "0", "false")

#: behaviour modules imported at start-up, in order. A module that is not there (not written
#: yet) is skipped with a log line; a module that is there but fails to import stops the server.
BEHAVIOUR_MODULES: tuple[str, ...] = (
    "localaws.s3",
    "localaws.iam",
    "localaws.logs",
    "localaws.athena",
    "localaws.glue",
    "localaws.faults",
)

_CRED_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")

StartResponse = Callable[..., Any]


def load_behaviour(modules: Iterable[str] = BEHAVIOUR_MODULES) -> list[str]:
    """Import the behaviour modules that exist; return the names loaded.

    A missing module is skipped (it may not be written yet); a module that exists but fails to
    import raises — a server silently missing its Glue behaviour would make every test lie.
    """
    loaded: list[str] = []
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            log.warning("behaviour module %s not present; skipped", name)
            continue
        importlib.import_module(name)
        loaded.append(name)
    return loaded


def _json_response(start_response: StartResponse, status: int, body: Any,
                   headers: list[tuple[str, str]] | None = None,
                   content_type: str = "application/x-amz-json-1.1") -> list[bytes]:
    data = json.dumps(body, default=_json_default).encode()
    hdrs = [("Content-Type", content_type), ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4()))]
    hdrs += headers or []
    start_response(f"{status} {_REASONS.get(status, 'Status')}", hdrs)
    return [data]


#: header that carries the control token (DESIGN "Local AWS control token")
TOKEN_HEADER = "X-Lakegate-Token"
_TOKEN_ENVIRON = "HTTP_" + TOKEN_HEADER.upper().replace("-", "_")
#: admin routes anyone on the machine may call: they only read
OPEN_ADMIN_ROUTES = frozenset({("GET", "health"), ("HEAD", "health"), ("GET", "faults")})


def token_sha256(token: str) -> str:
    """What the health endpoint shows instead of the token: clients compare this hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            500: "Internal Server Error"}


def _json_default(obj: Any) -> Any:
    from datetime import datetime

    if isinstance(obj, datetime):
        return obj.timestamp()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def request_identity(environ: dict[str, Any]) -> tuple[str, str]:
    """(account_id, region) of a signed request; defaults when unsigned."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _CRED_RE.search(auth)
    if not m:
        return dispatch.DEFAULT_ACCOUNT, dispatch.DEFAULT_REGION
    access_key, region = m.group(1), m.group(2)
    try:
        from moto.iam.models import get_account_id_from

        account = get_account_id_from(access_key)
    except Exception:  # noqa: BLE001 - an unknown key is the default account, as in moto
        account = dispatch.DEFAULT_ACCOUNT
    return account, region


def moto_dispatcher() -> Any:
    """moto's ``DomainDispatcherApplication`` with the host -> backend lookup remembered.

    For every request moto works out a host (``glue.us-east-1.amazonaws.com``) and then
    ``get_backend_for_host`` lists moto's package folder (``os.listdir`` + one ``isdir`` per
    entry, ~200) and tries up to ~180 URL regexes in turn: ~20% of the server's CPU during a
    ``terraform apply`` (py-spy). The answer depends only on the host (moto's folder and patterns
    do not change while the server runs), so a found backend is kept per host; a host with no
    backend is asked again each time, as before (moto prints its hint for it)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    class _Dispatcher(DomainDispatcherApplication):
        def __init__(self, create_app: Callable[..., Any]) -> None:
            super().__init__(create_app)
            self._backend_for_host: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            found = self._backend_for_host.get(host)
            if found is None:
                found = super().get_backend_for_host(host)
                if found is not None:
                    self._backend_for_host[host] = found
            return found

    return _Dispatcher(create_backend_app)


class LocalAwsApp:
    """WSGI application: admin endpoints, overrides, then moto."""

    def __init__(self, runtime: Runtime, token: str, state_file: Path | None = None) -> None:
        self.runtime = runtime
        self.token = token
        self.state_file = state_file
        self.started_at = time.time()
        self.moto = moto_dispatcher()
        self.loaded: list[str] = []
        self.shutdown_hook: Callable[[], None] | None = None
        self.requests = 0          # AWS requests served (admin endpoints not counted)
        self.restored_from: str | None = None   # snapshot the state came from, if any

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_lakegate/"):
            return self._admin(environ, start_response, path[len("/_lakegate/"):])
        self.requests += 1
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target and "." in target:
            prefix, _, operation = target.rpartition(".")
            service = dispatch.target_prefixes().get(prefix)
            if service:
                refused = dispatch.gate_request(self.runtime, service, operation)   # e.g. throttling
                if refused is not None:
                    return self._error(start_response, refused)
                handler = dispatch.lookup(service, operation)
                if handler is not None:
                    return self._handle(environ, start_response, service, operation, handler)
        if (not target and environ.get("REQUEST_METHOD") == "POST"
                and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")):
            answered = self._query_override(environ, start_response)
            if answered is not None:
                return answered
        start_response = wrap_start_response(environ, start_response)
        if TRACE:
            return self._traced(environ, start_response)
        with self.runtime.lock:
            # Materialise the body inside the lock: moto builds it lazily in some paths.
            return list(self.moto(environ, start_response))

    def _query_override(self, environ: dict[str, Any],
                        start_response: StartResponse) -> list[bytes] | None:
        """Answer a query-protocol action that has an override (:data:`dispatch.OVERRIDES`);
        else put the body back for moto and return None."""
        from urllib.parse import parse_qs

        from localaws import protocols

        raw = self._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        action = (form.get("Action") or [""])[0]
        services = dispatch.query_services()
        m = _CRED_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if m:
            candidates = [services[m.group(3)]] if m.group(3) in services else []
        else:   # unsigned: the one query service that has this action overridden
            candidates = [s for s in services.values() if dispatch.lookup(s, action)]
        handler = dispatch.lookup(candidates[0], action) if len(candidates) == 1 else None
        if handler is None:
            return None
        service = candidates[0]
        model = dispatch.service_model(service)
        account, region = request_identity(environ)
        ctx = Ctx(service=service, operation=action, account_id=account, region=region,
                  runtime=self.runtime)
        try:
            params = protocols.decode_query(model.operation_model(action), form)
            with self.runtime.lock:
                result = handler(ctx, params)
            status, body = 200, protocols.encode_query_result(
                model, model.operation_model(action), result if result is not None else {})
        except AwsError as err:
            status, body = err.status, protocols.encode_query_error(model, err.code, err.message)
        except Exception as err:  # noqa: BLE001 - same policy as JSON handlers
            log.error("query handler %s.%s failed:\n%s", service, action, traceback.format_exc())
            status, body = 400, protocols.encode_query_error(
                model, "InternalFailure", f"localaws {action} failed: {type(err).__name__}: {err}")
        data = body.encode()
        start_response(f"{status} {_REASONS.get(status, 'Status')}",
                       [("Content-Type", "text/xml"), ("Content-Length", str(len(data))),
                        ("x-amzn-RequestId", str(uuid.uuid4()))])
        return [data]

    def _traced(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """Forward to moto logging request and response bodies (``LOCALAWS_TRACE=1``)."""
        raw = self._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        with self.runtime.lock:
            body = list(self.moto(environ, capture))
        log.info("TRACE %s %s?%s\n  > %s\n  < %s %s\n  < %s", environ.get("REQUEST_METHOD"),
                 environ.get("PATH_INFO"), environ.get("QUERY_STRING", ""), raw[:3000],
                 seen.get("status"), seen.get("headers"), b"".join(body)[:3000])
        return body

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ["wsgi.input"]
        if length:
            return stream.read(length)
        # No Content-Length: only a terminated (de-chunked) stream may be read to EOF; reading a
        # raw socket would block until the client gives up.
        return stream.read() if environ.get("wsgi.input_terminated") else b""

    def _handle(self, environ: dict[str, Any], start_response: StartResponse, service: str,
                operation: str, handler: dispatch.Handler) -> list[bytes]:
        raw = self._read_body(environ)
        try:
            params = json.loads(raw or b"{}")
            if not isinstance(params, dict):
                raise ValueError("request body is not a JSON object")
        except ValueError as err:
            return self._error(start_response, SerializationException(str(err)))
        account, region = request_identity(environ)
        ctx = Ctx(service=service, operation=operation, account_id=account, region=region,
                  runtime=self.runtime)
        try:
            with self.runtime.lock:
                result = handler(ctx, params)
        except AwsError as err:
            return self._error(start_response, err)
        except Exception as err:  # noqa: BLE001 - a handler bug must not become a retry storm
            log.error("handler %s.%s failed:\n%s", service, operation, traceback.format_exc())
            # 400, not 500: SDKs and Terraform retry 5xx for minutes; a bug should fail fast.
            return self._error(start_response, InternalFailure(
                f"localaws {service}.{operation} failed: {type(err).__name__}: {err}", status=400))
        return _json_response(start_response, 200, result if result is not None else {})

    @staticmethod
    def _error(start_response: StartResponse, err: AwsError) -> list[bytes]:
        return _json_response(start_response, err.status, err.body(),
                              headers=[("x-amzn-ErrorType", err.code)])

    # -- admin --------------------------------------------------------------------------------
    def _authorised(self, environ: dict[str, Any]) -> bool:
        given = environ.get(_TOKEN_ENVIRON, "")
        return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"),
                                                   self.token.encode("utf-8"))

    def health(self) -> dict[str, Any]:
        return {
            "ok": True,
            "service": "localaws",
            "token_sha256": token_sha256(self.token),
            "pid": os.getpid(),
            "timing": self.runtime.timing,
            "time_scale": self.runtime.time_scale,
            "started_at": self.started_at,
            "behaviour": self.loaded,
            "overrides": sorted(f"{s}.{o}" for s, o in dispatch.OVERRIDES),
            "faults": sorted(dispatch.FAULTS),
            "background_errors": list(self.runtime.errors),
            "undeclared_errors": list(dispatch.UNDECLARED),
            "requests": self.requests,
            "code_sha256": code_sha256(),
            "restored_from": self.restored_from,
        }

    def _admin(self, environ: dict[str, Any], start_response: StartResponse,
               sub: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        ctype = "application/json"
        parts = [p for p in sub.split("/") if p]
        route = "/".join(parts)
        if (method, route) not in OPEN_ADMIN_ROUTES and not self._authorised(environ):
            log.warning("refused %s /_lakegate/%s: missing or wrong %s", method, route, TOKEN_HEADER)
            return _json_response(start_response, 403, {
                "error": f"{method} /_lakegate/{route} needs the header {TOKEN_HEADER} with the "
                         "token from the local AWS state file",
                "fix": "use 'lakegate local fault ...' / 'lakegate local down', or send the token "
                       "from the state file ($LAKEGATE_LOCAL_STATE or .lakegate/local/state.json)"},
                content_type=ctype)
        if parts == ["health"]:
            return _json_response(start_response, 200, self.health(), content_type=ctype)
        if parts == ["faults"] and method == "GET":
            body = {name: f.description for name, f in sorted(dispatch.FAULTS.items())}
            return _json_response(start_response, 200, {"faults": body}, content_type=ctype)
        if parts in (["snapshot"], ["restore"]) and method == "POST":
            return self._snapshot(environ, start_response, parts[0])
        if parts == ["shutdown"] and method == "POST":
            if self.shutdown_hook is not None:
                threading.Timer(0.1, self.shutdown_hook).start()
            return _json_response(start_response, 200, {"ok": True, "pid": os.getpid()},
                                  content_type=ctype)
        if len(parts) in (2, 3) and parts[0] == "fault" and method == "POST":
            name = parts[1]
            clear = len(parts) == 3
            if clear and parts[2] != "clear":
                return _json_response(start_response, 404, {"error": f"unknown path /{sub}"},
                                      content_type=ctype)
            fault = dispatch.FAULTS.get(name)
            if fault is None:
                return _json_response(start_response, 404, {
                    "error": f"unknown fault {name!r}", "known": sorted(dispatch.FAULTS)},
                    content_type=ctype)
            raw = self._read_body(environ)
            try:
                options = json.loads(raw) if raw else {}
            except ValueError:
                options = {}
            try:
                with self.runtime.lock:
                    func = fault.clear if clear else fault.apply
                    try:
                        detail = func(self.runtime, **options) if options else func(self.runtime)
                    except TypeError:
                        detail = func(self.runtime)
            except AwsError as err:
                return _json_response(start_response, 409, {"error": err.message, "code": err.code},
                                      content_type=ctype)
            except Exception as err:  # noqa: BLE001
                log.error("fault %s failed:\n%s", name, traceback.format_exc())
                return _json_response(start_response, 500, {
                    "error": f"fault {name} failed: {type(err).__name__}: {err}"}, content_type=ctype)
            return _json_response(start_response, 200, {
                "ok": True, "fault": name, "cleared": clear, "detail": detail},
                content_type=ctype)
        return _json_response(start_response, 404, {"error": f"unknown admin path /{sub}"},
                              content_type=ctype)


    def _snapshot(self, environ: dict[str, Any], start_response: StartResponse,
                  action: str) -> list[bytes]:
        """``POST /_lakegate/snapshot|restore {"path": FILE}`` (localaws.snapshot); token required."""
        from localaws import snapshot

        ctype = "application/json"   # the token was checked by _admin (not an open route)
        try:
            body = json.loads(self._read_body(environ) or b"{}")
            path = Path(body["path"])
            wait = float(body.get("wait", 10.0))
        except (ValueError, KeyError, TypeError):
            return _json_response(start_response, 400, {
                "error": 'body must be {"path": FILE} (optional "wait": seconds)'}, content_type=ctype)
        try:
            if action == "snapshot":
                summary = snapshot.dump(self.runtime, path, wait=wait)
            else:
                summary = snapshot.load(self.runtime, path)
            if action == "restore":
                self.restored_from = str(path)
        except snapshot.SnapshotError as err:
            return _json_response(start_response, 409, {"error": str(err)}, content_type=ctype)
        return _json_response(start_response, 200, {"ok": True, action: str(path), **summary},
                              content_type=ctype)


_CODE_SHA: list[str] = []


def code_sha256() -> str:
    """Hash of this package's source (deploy-cache keys: a changed local AWS is a new key)."""
    if not _CODE_SHA:
        import hashlib

        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for p in sorted(root.rglob("*.py")):
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
        try:
            import moto

            h.update(str(getattr(moto, "__version__", "")).encode())
        except ImportError:
            pass
        _CODE_SHA.append(h.hexdigest())
    return _CODE_SHA[0]


def _load_models() -> None:
    try:
        dispatch.target_prefixes()
        dispatch.query_services()
    except Exception:  # noqa: BLE001 - the first request loads them again and reports the error
        log.warning("botocore service models not preloaded:\n%s", traceback.format_exc())


def write_state_file(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON atomically (rename), so readers never see half a file.

    The file holds the control token: it is created with mode 0600 (owner only) from the start,
    never written world-readable and narrowed afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(data, indent=2) + "\n")
    os.chmod(tmp, 0o600)  # in case the umask or the filesystem widened it
    os.replace(tmp, path)


def serve(port: int = 0, timing: str = "fast", time_scale: float = 1.0,
          state_file: Path | None = None, token: str | None = None,
          host: str = "127.0.0.1", exit_with_pid: int | None = None,
          from_snapshot: Path | None = None) -> None:
    """Run the server until ``POST /_lakegate/shutdown`` or SIGTERM/SIGINT (or, with
    ``exit_with_pid``, until that process is gone — test fixtures use it so a killed test run
    never leaves a server behind)."""
    import signal

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    runtime = Runtime(timing=timing, time_scale=time_scale)
    token = token or secrets.token_hex(16)
    app = LocalAwsApp(runtime, token, state_file)
    app.loaded = load_behaviour()
    # botocore's service models (target prefixes, query services; ~0.3 s, mostly Glue's) load
    # while the server starts listening instead of in the first AWS request
    threading.Thread(target=_load_models, name="localaws-models", daemon=True).start()
    if from_snapshot is not None:  # before listening: nobody sees the empty state
        from localaws import snapshot

        summary = snapshot.load(runtime, Path(from_snapshot))
        app.restored_from = str(from_snapshot)
        print(f"localaws state restored from {from_snapshot} ({', '.join(summary['services'])})",
              flush=True)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    real_port = server.server_port
    endpoint = f"http://{host}:{real_port}"
    runtime.endpoint = endpoint  # Glue script runs (subprocesses) call back here

    def stop() -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    app.shutdown_hook = stop
    if exit_with_pid:
        def watch() -> None:
            while True:
                time.sleep(1.0)
                try:
                    os.kill(exit_with_pid, 0)
                except ProcessLookupError:
                    log.warning("owner process %s is gone; shutting down", exit_with_pid)
                    stop()
                    return
                except PermissionError:
                    pass

        threading.Thread(target=watch, name="localaws-owner-watch", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: stop())
    signal.signal(signal.SIGINT, lambda *_: stop())
    info = {"endpoint": endpoint, "pid": os.getpid(), "port": real_port, "token": token,
            "started_at": app.started_at, "timing": timing, "time_scale": time_scale}
    if state_file is not None:
        write_state_file(state_file, info)
    print(f"localaws listening on {endpoint} (pid {os.getpid()}, timing {timing})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        runtime.shutdown()
        script_runtime = sys.modules.get("localaws.glue.script_runtime")   # loaded by a script run
        if script_runtime is not None:
            stopped = script_runtime.stop_all()
            if stopped:
                print(f"localaws: stopped {stopped} script run(s) in flight", flush=True)
        if state_file is not None:
            try:
                current = json.loads(state_file.read_text())
                if current.get("pid") == os.getpid() and current.get("token") == token:
                    state_file.unlink()
            except (OSError, ValueError):
                pass
        print("localaws stopped", flush=True)


__all__ = ["LocalAwsApp", "serve", "load_behaviour", "request_identity", "write_state_file",
           "token_sha256", "TOKEN_HEADER"]
