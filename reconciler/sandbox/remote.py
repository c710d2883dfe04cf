"""The client side of a sandbox server (server.py): botocore's requests go to it over a Unix socket.

Installed as botocore's first `before-send` handler while a remote sandbox is open, it answers every
request (any service), so nothing leaves for the network, as with the in-process sandbox. Each thread
keeps its own connection: calls in flight are as many as threads, as over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from reconciler.aws.clients import DefaultChainSession
from reconciler.errors import ReconcilerError
from reconciler.sandbox.wire import (
    BASE_ACCESS_KEY,
    Frames,
    SimulatedUnreachableError,
    request_frame,
    response,
)

SERVER_ENV_VAR = "BEDROCK_GITOPS_SANDBOX_SERVER"


class SandboxServerBug(RuntimeError):
    """The server failed answering (a bug of the simulation): its traceback is the message."""


class _Remote:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self._local = threading.local()
        self._connections: list[Frames] = []
        self._lock = threading.Lock()

    def connect(self) -> Frames:
        """This thread's connection (made on its first call)."""
        frames: Frames | None = getattr(self._local, "frames", None)
        if frames is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(str(self.socket_path))
            frames = self._local.frames = Frames(connection)
            with self._lock:
                self._connections.append(frames)
        return frames

    def answer(self, event_name: str, request: AWSPreparedRequest) -> AWSResponse:
        head, body = self._exchange(*request_frame(event_name, request))
        if "unreachable" in head:
            raise SimulatedUnreachableError(endpoint_url=head["unreachable"])
        if "bug" in head:
            raise SandboxServerBug(head["bug"])
        return response(str(request.url), int(head["status"]), head["headers"], body)

    def now(self) -> float:
        """The simulated clock, as a POSIX timestamp."""
        head, _ = self._exchange({"now": True}, b"")
        return float(head["now"])

    def _exchange(self, head: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        """One frame sent on this thread's connection, and the server's answer to it."""
        frames = self.connect()
        frames.send(head, body)
        frame = frames.receive()
        if frame is None:
            raise ConnectionError(f"the sandbox server at {self.socket_path} closed the connection")
        return frame

    def close(self) -> None:
        with self._lock:
            for frames in self._connections:
                frames.close()
            self._connections.clear()


_open: _Remote | None = None
_open_lock = threading.Lock()


def _before_send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse | None:
    remote = _open
    return None if remote is None else remote.answer(event_name, request)


def _install() -> None:
    handlers = botocore.handlers.BUILTIN_HANDLERS
    if not any(entry[1] is _before_send for entry in handlers):
        handlers.insert(0, ("before-send", _before_send))


def remote_now() -> float | None:
    """The open remote sandbox's simulated time (POSIX seconds), None when none is open."""
    remote = _open
    return None if remote is None else remote.now()


def configured_server() -> Path | None:
    value = os.environ.get(SERVER_ENV_VAR)
    return Path(value) if value else None


@contextlib.contextmanager
def remote_session(socket_path: Path, region: str = "us-east-1") -> Iterator[DefaultChainSession]:
    """A session with the sandbox's base credentials whose requests the server at `socket_path` answers
    (clients made from it, or from any botocore session, while this is open). Not boto3's: a client
    needs botocore only, as on AWS (aws/clients.py)."""
    global _open  # noqa: PLW0603  (botocore's built-in handlers are process-wide)
    remote = _Remote(socket_path)
    try:
        remote.connect()
    except OSError as error:
        raise ReconcilerError(
            f"no sandbox server answers at {socket_path} ({error.strerror or error}): start one with "
            f"`python -m reconciler.sandbox.server SANDBOX_DIR {socket_path}`, or unset {SERVER_ENV_VAR} "
            "to simulate in this process"
        ) from error
    _install()
    with _open_lock:
        if _open is not None:
            remote.close()
            raise RuntimeError("a remote sandbox is already open in this process")
        _open = remote
    try:
        yield DefaultChainSession((BASE_ACCESS_KEY, BASE_ACCESS_KEY), region)
    finally:
        with _open_lock:
            _open = None
        remote.close()
