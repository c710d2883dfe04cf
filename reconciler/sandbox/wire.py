"""What passes between botocore and the simulation, in one process or between two (server.py, remote.py).

In one process the simulation answers botocore's `before-send` event with an `AWSResponse` (hook.py). When
the sandbox runs as a server, a request and its answer cross a Unix socket as frames: a JSON head (method,
URL, headers; status and headers back) and the raw body, so the simulation sees exactly the serialised,
signed request botocore would have sent to AWS. Light on purpose: the client side imports neither moto
nor the simulation.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator, Mapping
from typing import Any, cast

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict, HTTPHeaders
from botocore.exceptions import BotoCoreError

# The sandbox's base credentials: the organization's management (tooling) account in moto.
BASE_ACCESS_KEY = "testing"

_LENGTHS = struct.Struct("!II")
_RECEIVE_BYTES = 1 << 16


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


class Frames:
    """Frames over a connected stream socket, both ways: a frame is the two lengths, the JSON head and the
    body. Received bytes are buffered, so a frame usually takes one `recv` (the socket file's buffered
    reader cost three reads and Python-level wrappers per frame, a tenth of a call's client CPU)."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self._buffer = bytearray()

    def send(self, head: Mapping[str, Any], body: bytes) -> None:
        encoded = json.dumps(head).encode()
        self.connection.sendall(_LENGTHS.pack(len(encoded), len(body)) + encoded + body)

    def receive(self) -> tuple[dict[str, Any], bytes] | None:
        """The next frame, or None when the other side closed the connection between frames."""
        if not self._fill(_LENGTHS.size):
            if self._buffer:
                raise ConnectionError("the sandbox connection closed inside a frame")
            return None
        head_length, body_length = _LENGTHS.unpack_from(self._buffer)
        end = _LENGTHS.size + head_length + body_length
        if not self._fill(end):
            raise ConnectionError("the sandbox connection closed inside a frame")
        buffer = self._buffer
        head = json.loads(buffer[_LENGTHS.size : _LENGTHS.size + head_length])
        body = bytes(buffer[_LENGTHS.size + head_length : end])
        del buffer[:end]
        return head, body

    def close(self) -> None:
        self.connection.close()

    def _fill(self, size: int) -> bool:
        while len(self._buffer) < size:
            chunk = self.connection.recv(max(_RECEIVE_BYTES, size - len(self._buffer)))
            if not chunk:
                return False
            self._buffer += chunk
        return True


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
    headers = {name: value if type(value) is str else _text(value) for name, value in request.headers.items()}
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
