"""What passes between botocore and the simulation, in one process or between two (server.py, remote.py).

In one process the simulation answers botocore's `before-send` event with an `AWSResponse` (hook.py). When
the sandbox runs as a server, a request and its answer cross a Unix socket as frames: a JSON head (method,
URL, headers; status and headers back) and the raw body, so the simulation sees exactly the serialised,
signed request botocore would have sent to AWS. Light on purpose: the client side imports neither moto
nor the simulation.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Mapping
from typing import Any, Protocol, cast

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict, HTTPHeaders
from botocore.exceptions import BotoCoreError

# The sandbox's base credentials: the organization's management (tooling) account in moto.
BASE_ACCESS_KEY = "testing"

_LENGTHS = struct.Struct("!II")


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...


class SimulatedUnreachableError(BotoCoreError):
    """An account set unreachable in the sandbox. Like botocore's EndpointConnectionError, but not retried:
    a real unreachable endpoint costs every retry's backoff, which would only slow the tests down."""

    fmt = "Could not connect to the endpoint URL: {endpoint_url} (sandbox setting unreachable_accounts)"


class RawBody:
    """What botocore reads an HTTP response body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        body, self._body = self._body, b""
        return body


def response(url: str, status: int, headers: Mapping[str, str], body: bytes) -> AWSResponse:
    # botocore reads headers as a mapping; moto answers with a plain dict too.
    return AWSResponse(url, status, dict(headers), RawBody(body))  # type: ignore[arg-type]


def write_frame(stream: Writer, head: Mapping[str, Any], body: bytes) -> None:
    encoded = json.dumps(head).encode()
    stream.write(_LENGTHS.pack(len(encoded), len(body)) + encoded + body)
    stream.flush()


def read_frame(stream: Reader) -> tuple[dict[str, Any], bytes] | None:
    """The next frame, or None when the other side closed the connection between frames."""
    lengths = stream.read(_LENGTHS.size)
    if not lengths:
        return None
    if len(lengths) < _LENGTHS.size:
        raise ConnectionError("the sandbox connection closed inside a frame")
    head_length, body_length = _LENGTHS.unpack(lengths)
    head, body = stream.read(head_length), stream.read(body_length)
    if len(head) < head_length or len(body) < body_length:
        raise ConnectionError("the sandbox connection closed inside a frame")
    return json.loads(head), body


def request_frame(event_name: str, request: AWSPreparedRequest) -> tuple[dict[str, Any], bytes]:
    body: Any = request.body
    if body is None:
        raw = b""
    elif isinstance(body, bytes | bytearray):
        raw = bytes(body)
    elif isinstance(body, str):
        raw = body.encode()
    else:  # a file-like body (no Bedrock or RAM operation we call streams its input)
        raw = body.read()
    headers = {name: _text(value) for name, value in request.headers.items()}
    return {"event": event_name, "method": request.method, "url": request.url, "headers": headers}, raw


def request_from_frame(head: Mapping[str, Any], body: bytes) -> AWSPreparedRequest:
    headers = HeadersDict()
    for name, value in head["headers"].items():
        headers[name] = value
    # botocore's prepared requests carry a HeadersDict; its stubs say HTTPHeaders.
    return AWSPreparedRequest(head["method"], head["url"], cast(HTTPHeaders, headers), body, False)


def _text(value: str | bytes) -> str:
    # HTTP header values are Latin-1 on the wire; botocore keeps some as bytes.
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
