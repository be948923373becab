"""Wire encodings for the override registry: one handler shape (``params`` dict in, result dict
out) whatever protocol the service speaks.

* JSON (``awsJson1_1``: Glue, Athena, CloudWatch Logs): the body *is* the input shape; the
  result is sent as JSON; errors as ``{"__type": code, "message": ...}`` (done by the server).
* query (IAM): the form (``Action=...&ActionNames.member.1=...``) is decoded into the input
  shape with botocore's model (:func:`decode_query`); the result is encoded as the XML the AWS
  SDKs parse, ``<OpResponse><OpResult>...</OpResult><ResponseMetadata>``
  (:func:`encode_query_result`), errors as ``<ErrorResponse><Error><Type>Sender</Type><Code>``
  (:func:`encode_query_error`).

Only what the query protocol's shapes need is covered: structures, lists (``member`` elements,
or flattened), maps (``entry`` with key/value), and scalars (booleans as ``true``/``false``,
timestamps as ISO 8601). Source: botocore's ``serialize.QuerySerializer`` and
``parsers.QueryParser`` (the client side of the same encoding).
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any
from xml.sax.saxutils import escape


def _xml(text: str) -> str:
    return escape(text, {'"': "&quot;"})


# --- query requests -------------------------------------------------------------------------------

def decode_query(operation_model: Any, form: dict[str, list[str]]) -> dict[str, Any]:
    """The form of a query-protocol request as the operation's input shape (a dict)."""
    flat = {k: v[0] if isinstance(v, list) else v for k, v in form.items()}
    shape = operation_model.input_shape
    return _decode_structure(shape, flat, "") if shape is not None else {}


def _decode(shape: Any, flat: dict[str, str], key: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out = _decode_structure(shape, flat, key + ".")
        return out or None
    if kind == "list":
        flattened = shape.serialization.get("flattened")
        name = shape.member.serialization.get("name", "member")
        prefix = f"{key}." if flattened else f"{key}.{name}."
        indexes = sorted({int(k[len(prefix):].split(".", 1)[0]) for k in flat
                          if k.startswith(prefix) and k[len(prefix):].split(".", 1)[0].isdigit()})
        if not indexes:
            return [] if key in flat else None    # "Name=" is AWS's empty list
        return [_decode(shape.member, flat, f"{prefix}{i}") for i in indexes]
    if kind == "map":
        prefix = f"{key}.entry."
        indexes = sorted({int(k[len(prefix):].split(".", 1)[0]) for k in flat if k.startswith(prefix)})
        return {flat.get(f"{prefix}{i}.key"): _decode(shape.value, flat, f"{prefix}{i}.value")
                for i in indexes} or None
    value = flat.get(key)
    if value is None:
        return None
    if kind == "boolean":
        return value.lower() == "true"
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    return value


def _decode_structure(shape: Any, flat: dict[str, str], prefix: str) -> dict[str, Any]:
    out = {}
    for name, member in shape.members.items():
        wire = member.serialization.get("name", name)
        value = _decode(member, flat, f"{prefix}{wire}")
        if value is not None:
            out[name] = value
    return out


# --- query responses ------------------------------------------------------------------------------

def encode_query_result(service_model: Any, operation_model: Any, result: dict[str, Any]) -> str:
    """``result`` (the output shape as a dict) as the operation's XML response."""
    op = operation_model.name
    ns = service_model.metadata.get("xmlNamespace", "")
    shape = operation_model.output_shape
    body = _encode_members(shape, result or {}) if shape is not None else ""
    wrapper = (shape.serialization.get("resultWrapper") if shape is not None else None) or f"{op}Result"
    return (f'<{op}Response xmlns="{ns}"><{wrapper}>{body}</{wrapper}>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            f"</{op}Response>")


def _encode_members(shape: Any, value: dict[str, Any]) -> str:
    parts = []
    for name, member in shape.members.items():
        if name not in value or value[name] is None:
            continue
        parts.append(_encode(member, value[name], member.serialization.get("name", name)))
    return "".join(parts)


def _encode(shape: Any, value: Any, tag: str) -> str:
    kind = shape.type_name
    if kind == "structure":
        return f"<{tag}>{_encode_members(shape, value)}</{tag}>"
    if kind == "list":
        item = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            return "".join(_encode(shape.member, v, tag) for v in value)
        return f"<{tag}>{''.join(_encode(shape.member, v, item) for v in value)}</{tag}>"
    if kind == "map":
        entries = "".join(f"<entry>{_encode(shape.key, k, 'key')}{_encode(shape.value, v, 'value')}</entry>"
                          for k, v in value.items())
        return f"<{tag}>{entries}</{tag}>"
    if kind == "boolean":
        text = "true" if value else "false"
    elif kind == "timestamp" and isinstance(value, (int, float)):
        text = _dt.datetime.fromtimestamp(value, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    elif kind == "timestamp" and isinstance(value, _dt.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        text = str(value)
    return f"<{tag}>{_xml(text)}</{tag}>"


def encode_query_error(service_model: Any, code: str, message: str) -> str:
    """The query protocol's error document (``Type`` Sender: our errors are the caller's)."""
    ns = service_model.metadata.get("xmlNamespace", "")
    return (f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{_xml(code)}</Code>'
            f"<Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
