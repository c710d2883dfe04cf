"""The sandbox answering from a process of its own, as AWS answers from its own machines.

    python -m reconciler.sandbox.server SANDBOX_DIR SOCKET

serves the estate in SANDBOX_DIR on the Unix socket SOCKET until SIGTERM or SIGINT; a process that finds
BEDROCK_GITOPS_SANDBOX_SERVER=SOCKET in its environment sends its sandbox requests there (remote.py)
instead of simulating in-process. The answers are the same (the same simulation answers the same
serialised, signed request); what changes is where its CPU is spent. The benchmarks use it so that a plan
is measured as a client, on its own core, as it runs against AWS. It prints "ready" once it listens.
With BEDROCK_GITOPS_SANDBOX_CPU_FILE set it appends its CPU seconds to that file when it stops.
"""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.hook import SimulatorCpu, installed_handler
from reconciler.sandbox.wire import Frames, SimulatedUnreachableError, request_from_frame


class _Connection(socketserver.BaseRequestHandler):
    """One client thread's connection: requests one after another, each answered in turn."""

    def handle(self) -> None:
        answer = installed_handler()
        if answer is None:
            raise RuntimeError("the sandbox's before-send handler is not installed")
        frames = Frames(self.request)
        while True:
            frame = frames.receive()
            if frame is None:
                return
            head, body = frame
            if "now" in head:  # the simulated clock (pipeline.aws_now), not an AWS request
                estate = cast(_Server, self.server).estate
                frames.send({"now": estate.now().timestamp()}, b"")
                continue
            request = request_from_frame(head, body)
            try:
                response = answer(request=request, event_name=head["event"])
            except SimulatedUnreachableError as error:
                frames.send({"unreachable": str(error.kwargs["endpoint_url"])}, b"")
                continue
            except Exception:  # a simulation bug: the client raises it with this traceback
                frames.send({"bug": traceback.format_exc()}, b"")
                continue
            if response is None:
                frames.send({"bug": f"the sandbox does not answer {head['event']}"}, b"")
                continue
            headers = {str(k): str(v) for k, v in dict(response.headers).items()}
            frames.send({"status": response.status_code, "headers": headers}, response.content)


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    estate: SandboxEstate


def serve(directory: Path, socket_path: Path, ready: threading.Event | None = None) -> None:
    """Serve until `shutdown` (SIGTERM/SIGINT when run as a program)."""
    socket_path.unlink(missing_ok=True)
    with SandboxEstate.open(directory) as estate, _Server(str(socket_path), _Connection) as server:
        server.estate = estate
        _serving.append(server)
        if ready is not None:
            ready.set()
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            _serving.remove(server)
            socket_path.unlink(missing_ok=True)


_serving: list[_Server] = []


def launch(directory: Path, socket_path: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """A server process on `directory`, returned once it listens on `socket_path` (stop it with
    `terminate()`); `env`: its environment (this process's by default)."""
    argv = [sys.executable, "-m", "reconciler.sandbox.server", str(directory), str(socket_path)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=dict(env or os.environ))
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        process.wait()
        raise RuntimeError(f"the sandbox server on {directory} did not start")
    return process


def shutdown() -> None:
    for server in list(_serving):
        server.shutdown()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m reconciler.sandbox.server SANDBOX_DIR SOCKET", file=sys.stderr)
        return 2
    cpu_file = os.environ.pop(SimulatorCpu.FILE_ENV_VAR, None)  # this process counts itself, whole
    ready = threading.Event()

    def stop(*_: object) -> None:
        threading.Thread(target=shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=lambda: ready.wait() and print("ready", flush=True), daemon=True).start()
    serve(Path(argv[0]), Path(argv[1]), ready)
    if cpu_file:
        with open(cpu_file, "a") as stream:
            stream.write(f"{time.process_time()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
