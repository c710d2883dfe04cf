"""The rest-json wire format (Bedrock and RAM) as the simulation sees it: botocore's serialised HTTP request
back into input members, and output members or an error into an HTTP response botocore's parser reads.

Everything is driven by botocore's service model, so what the simulation receives is exactly what real
AWS would receive, and what it answers goes through botocore's real response parser.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

_MODELS: dict[str, ServiceModel] = {}
_MODELS_LOCK = threading.Lock()


def service_model(service: str) -> ServiceModel:
    """botocore's model of `service`, loaded once per process. Under a lock: a plan's 32 first calls arrive
    together, and each would otherwise load (and parse) the same JSON model."""
    model = _MODELS.get(service)
    if model is None:
        with _MODELS_LOCK:
            model = _MODELS.get(service)
            if model is None:
                model = _MODELS[service] = botocore.session.get_session().get_service_model(service)
    return model


_OPERATIONS: dict[tuple[str, str], OperationModel] = {}


def operation_model(service: str, operation: str) -> OperationModel:
    """botocore's model of one operation (asked several times per simulated call: kept once found)."""
    model = _OPERATIONS.get((service, operation))
    if model is None:
        model = _OPERATIONS[service, operation] = service_model(service).operation_model(operation)
    return model


@cache
def _uri_pattern(request_uri: str) -> re.Pattern[str]:
    """`/model-copy-jobs/{jobArn}` -> a regex with one named group per label (`{key+}` is greedy)."""
    path = request_uri.split("?", 1)[0]
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            pattern += f"(?P<{name.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
        else:
            pattern += re.escape(part)
    return re.compile(pattern)


def timestamp(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _scalar(shape: Shape, text: str) -> Any:
    if shape.type_name in ("integer", "long"):
        return int(text)
    if shape.type_name in ("float", "double"):
        return float(text)
    if shape.type_name == "boolean":
        return text.lower() == "true"
    if shape.type_name == "timestamp":
        return timestamp(text)
    return text


def _from_json(shape: Shape, value: Any) -> Any:
    """JSON body values -> Python values (timestamps become datetimes)."""
    if value is None:
        return None
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        by_wire = {m.serialization.get("name", name): (name, m) for name, m in members.items()}
        decoded = {}
        for key, item in value.items():
            name, member = by_wire.get(key, (key, None))
            decoded[name] = _from_json(member, item) if member is not None else item
        return decoded
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_json(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _from_json(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if shape.type_name == "timestamp":
        return timestamp(value)
    return value


def decode_request(
    service: str, operation: str, method: str, url: str, headers: Any, body: Any
) -> dict[str, Any]:
    """The input members botocore serialised into this HTTP request (botocore member names)."""
    model = operation_model(service, operation)
    shape = model.input_shape
    if shape is None:
        return {}
    if _is_json_protocol(service):
        # The JSON protocol (DynamoDB) sends the input members as they are, in the body.
        raw_body = body.decode() if isinstance(body, bytes) else (body or "")
        decoded: dict[str, Any] = json.loads(raw_body) if raw_body.strip() else {}
        return decoded
    split = urlsplit(url)
    labels = {}
    match = _uri_pattern(model.http["requestUri"]).fullmatch(split.path)
    if match:
        labels = {name: unquote(value) for name, value in match.groupdict().items()}
    query = parse_qs(split.query, keep_blank_values=True)
    params: dict[str, Any] = {}
    blob_member = _blob_payload(shape)
    if blob_member is not None:
        # The body is the member itself (bedrock-runtime InvokeModel's `body`), not a JSON document.
        params[blob_member] = body if isinstance(body, bytes) else (body or "").encode()
        payload: dict[str, Any] = {}
    else:
        raw = body.decode() if isinstance(body, bytes) else (body or "")
        payload = json.loads(raw) if raw.strip() else {}
    for name, member, location, wire in _input_members(shape):
        if location == "uri" and wire in labels:
            params[name] = _scalar(member, labels[wire])
        elif location == "querystring" and wire in query:
            values = query[wire]
            if member.type_name == "list":
                params[name] = [_scalar(member.member, v) for v in values]  # type: ignore[attr-defined]
            else:
                params[name] = _scalar(member, values[0])
        elif location == "header" and headers.get(wire) is not None:
            value = headers[wire]
            params[name] = _scalar(member, value.decode() if isinstance(value, bytes) else value)
        elif location is None and wire in payload:
            params[name] = _from_json(member, payload[wire])
    return params


@cache
def _input_members(shape: Shape) -> tuple[tuple[str, Shape, str | None, str], ...]:
    """(name, shape, location, name on the wire) of each input member, in the model's order: worked out once
    per input shape, not once per request."""
    members = shape.members  # type: ignore[attr-defined]
    return tuple(
        (name, member, member.serialization.get("location"), member.serialization.get("name", name))
        for name, member in members.items()
    )


_PLAIN = frozenset({str, int, float, bool})


def _to_json(shape: Shape | None, value: Any) -> Any:
    if type(value) in _PLAIN:  # most values of a listing: nothing to convert
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if shape is not None and shape.type_name == "structure" and isinstance(value, dict):
        members = _wire_members(shape)
        encoded = {}
        for key, item in value.items():
            if item is None:
                continue
            known = members.get(key)
            if known is None:
                encoded[key] = item if type(item) in _PLAIN else _to_json(None, item)
            else:
                encoded[known[0]] = item if type(item) in _PLAIN else _to_json(known[1], item)
        return encoded
    if isinstance(value, list):
        member = shape.member if shape is not None and shape.type_name == "list" else None  # type: ignore[attr-defined]
        return [item if type(item) in _PLAIN else _to_json(member, item) for item in value]
    if isinstance(value, dict):
        inner = shape.value if shape is not None and shape.type_name == "map" else None  # type: ignore[attr-defined]
        return {k: _to_json(inner, v) for k, v in value.items()}
    return value


@cache
def _wire_members(shape: Shape) -> dict[str, tuple[str, Shape]]:
    """A structure's members by name: (name on the wire, shape). Shapes live as long as their (cached)
    service model, so this is worked out once per structure, not once per listed item."""
    members = shape.members  # type: ignore[attr-defined]
    return {name: (member.serialization.get("name", name), member) for name, member in members.items()}


def encode_response(
    service: str, operation: str, output: dict[str, Any]
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for a successful call."""
    if _is_json_protocol(service):
        return (
            200,
            {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "sandbox"},
            (json.dumps(output).encode()),
        )
    model = operation_model(service, operation)
    status = int(model.http.get("responseCode", 200))
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": "sandbox"}
    shape = model.output_shape
    headers.update(output.get("__headers__", {}))  # headers outside the output shape (see bedrock_runtime)
    blob_member = _blob_payload(shape)
    raw_body = b""
    body: dict[str, Any] = {}
    for name, value in output.items():
        if name == "__headers__":
            continue
        if name == blob_member:
            raw_body = value if isinstance(value, bytes) else str(value).encode()
            continue
        member = shape.members.get(name) if shape is not None else None
        location = member.serialization.get("location") if member is not None else None
        if location == "header" and value is not None:
            headers[member.serialization.get("name", name)] = str(value)  # type: ignore[union-attr]
        elif location == "statusCode":
            status = int(value)
        elif value is not None:
            wire = member.serialization.get("name", name) if member is not None else name
            body[wire] = _to_json(member, value)
    if blob_member is not None:
        return status, headers, raw_body
    return status, headers, json.dumps(body).encode()


def _blob_payload(shape: Shape | None) -> str | None:
    """The member that is the whole HTTP body as raw bytes, if the shape has one."""
    if shape is None:
        return None
    payload = shape.serialization.get("payload")
    if payload and shape.members[payload].type_name == "blob":  # type: ignore[attr-defined]
        return str(payload)
    return None


def encode_error(
    code: str, message: str, status: int, service: str = ""
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": "sandbox"}
    body: dict[str, str] = {"message": message}
    if service and _is_json_protocol(service):
        body["__type"] = f"{service_model(service).metadata.get('targetPrefix', service)}#{code}"
    return status, headers, json.dumps(body).encode()


def _is_json_protocol(service: str) -> bool:
    return service_model(service).protocol == "json"
