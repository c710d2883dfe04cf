"""Where real boto3 requests meet the simulation: a botocore `before-send` handler.

It sits in botocore's built-in handlers ahead of moto's, so every botocore session created afterwards (the
reconciler makes one per assumed-role account) sends Bedrock and RAM requests here while an estate is
open; everything else (STS, Organizations, ...) goes on to moto. The request arrives fully serialised and
signed: the calling account comes from its credentials, the Region from its signature scope.
"""

from __future__ import annotations

import atexit
import functools
import json
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import botocore.handlers
import moto  # noqa: F401  (registers moto's before-send stubber first, so ours can be put ahead of it)
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from reconciler.sandbox import clock
from reconciler.sandbox.api import Call, Handler, SimulatedError
from reconciler.sandbox.callers import caller, naming_the_account
from reconciler.sandbox.moto_state import SERVICES, MotoSync
from reconciler.sandbox.restjson import decode_request, encode_error, encode_response, service_model
from reconciler.sandbox.session_policies import caller_principal, check_session_policy
from reconciler.sandbox.shapes import request_problems, response_problems, validation_message
from reconciler.sandbox.statefile import StateFile
from reconciler.sandbox.throttling import RequestBuckets
from reconciler.sandbox.wire import SimulatedUnreachableError
from reconciler.sandbox.wire import response as aws_response

SIMULATED_SERVICES = frozenset({"bedrock", "bedrock-runtime", "ram", "organizations", "service-quotas"})
# Answered by moto, with their state kept in the sandbox's document (moto_state.py).
MOTO_SERVICES = frozenset(SERVICES)
# Never change state: the document is not saved (InvokeModel and Converse only read the capacity).
STATUS_READS = frozenset({"GetModelCopyJob", "GetProvisionedModelThroughput", "GetCustomModelDeployment"})
READ_ONLY_PREFIXES = ("List", "Get", "Describe", "InvokeModel", "Converse")


@dataclass(frozen=True)
class RecordedRequest:
    service: str
    operation: str
    account: str
    region: str
    params: dict[str, Any]
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "account": self.account,
            "region": self.region,
            "params": json.loads(json.dumps(self.params, default=str)),
            "error": self.error,
        }


@dataclass
class Simulation:
    """Answers the intercepted requests of one open estate."""

    store: StateFile
    handlers: dict[str, dict[str, Handler]]
    record_file: Path | None = None
    # Brings asynchronous work (copy jobs, capacity) up to the simulated clock before each call.
    # It returns when the next piece of work is due (None: nothing in flight): until then, and while the state
    # does not change, settling again is skipped, so a large estate is not walked on every call.
    settle: Callable[[dict[str, Any], datetime], datetime | None] | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    simulation_bugs: list[str] = field(default_factory=list)
    _random: random.Random = field(default_factory=lambda: random.Random(20261125))
    _random_lock: threading.Lock = field(default_factory=threading.Lock)
    # (store version, when the next work is due) right after the last settle.
    _settled: tuple[int, datetime | None] | None = None
    moto: MotoSync = field(default_factory=MotoSync)

    def settings(self) -> dict[str, Any]:
        with self.store.locked(write=False) as state:
            return dict(state.get("settings", {}))

    def answer(self, service: str, operation: str, request: AWSPreparedRequest) -> AWSResponse:
        account, region, access_key = caller(request)
        with self.store.locked(write=False) as state:
            settings = dict(state.get("settings", {}))
            # Every answer carries the simulated time in its Date header, as AWS carries its own.
            server_time = clock.now(state)
        if account in settings.get("unreachable_accounts", ()):
            raise SimulatedUnreachableError(endpoint_url=str(request.url))
        if operation in STATUS_READS:
            with self._random_lock:
                unreadable = self._random.random() < float(settings.get("status_read_fault_rate", 0.0))
            if unreadable:
                raise SimulatedUnreachableError(endpoint_url=str(request.url))
        params: dict[str, Any] = {}
        try:
            params = decode_request(
                service, operation, str(request.method), str(request.url), request.headers, request.body
            )
            check_session_policy(account, access_key, iam_action(service, operation))
            with self._random_lock:
                throttled = self._random.random() < float(settings.get("throttle_rate", 0.0))
            rate = float(settings.get("throttle_requests_per_second", 0.0))
            if rate > 0 and not throttled:
                throttled = not RequestBuckets(self.store.directory).take(f"{account}/{region}", rate)
            if throttled:
                raise SimulatedError("ThrottlingException", "Rate exceeded", 429)
            problems = request_problems(service, operation, params)
            if problems:
                raise SimulatedError("ValidationException", validation_message(problems), 400)
            output = self._dispatch(
                service, operation, account, region, params, caller_principal(account, access_key)
            )
        except SimulatedError as error:
            self._record(RecordedRequest(service, operation, account, region, params, error.code))
            return _response(
                str(request.url),
                *encode_error(error.code, error.message, error.status, service),
                date=server_time,
            )
        self._record(RecordedRequest(service, operation, account, region, params, None))
        problems = response_problems(service, operation, output)
        if problems:
            bug = f"{service}.{operation} answered an invalid response: {'; '.join(problems)}"
            self.simulation_bugs.append(bug)
            return _response(str(request.url), *encode_error("InternalServerException", bug, 500))
        return _response(str(request.url), *encode_response(service, operation, output), date=server_time)

    def through_moto(
        self,
        service: str,
        operation: str,
        request: AWSPreparedRequest,
        forward: Callable[[], AWSResponse | None],
    ) -> AWSResponse | None:
        """A request moto answers (MOTO_SERVICES), with the sandbox's state, faults, session policies and
        request record around it."""
        account, region, access_key = caller(request)
        settings = self.settings()
        if account in settings.get("unreachable_accounts", ()):
            raise SimulatedUnreachableError(endpoint_url=str(request.url))
        params = decode_request(
            service, operation, str(request.method), str(request.url), request.headers, request.body
        )
        try:
            check_session_policy(account, access_key, iam_action(service, operation))
            refused = SERVICES[service].refuse(operation, params)
            if refused is not None:
                raise refused
        except SimulatedError as error:
            self._record(RecordedRequest(service, operation, account, region, params, error.code))
            encoded = encode_error(error.code, error.message, error.status, service)
            return _response(str(request.url), *encoded)
        writes = not operation.startswith(READ_ONLY_PREFIXES)
        with self.store.locked(write=writes) as state:
            self.moto.before(service, state)
            response = forward()
            if writes:
                self.moto.after_write(service, state)
        self._record(RecordedRequest(service, operation, account, region, params, _error_code(response)))
        return response

    def _dispatch(
        self,
        service: str,
        operation: str,
        account: str,
        region: str,
        params: dict[str, Any],
        principal: str,
    ) -> Any:
        handler = self.handlers.get(service, {}).get(operation)
        if handler is None:
            raise SimulatedError(
                "UnknownOperationException", f"The sandbox does not simulate {service}:{operation}.", 400
            )
        with self.store.locked(write=not operation.startswith(READ_ONLY_PREFIXES)) as state:
            now = clock.now(state)
            if self.settle is not None and not self._settled_already(now):
                due = self.settle(state, now)
                self._settled = (self.store.version, due)
            settled = self.settle is not None
            return handler(Call(service, operation, account, region, params, state, now, settled, principal))

    def _settled_already(self, now: datetime) -> bool:
        """Nothing to settle: no change to the state since the last settle, and nothing due by `now`.
        Called with the store locked (the store's version moves on every reload and every save)."""
        if self._settled is None or self._settled[0] != self.store.version:
            return False
        due = self._settled[1]
        return due is None or now < due

    def _record(self, recorded: RecordedRequest) -> None:
        self.requests.append(recorded)
        if self.record_file is not None:
            with open(self.record_file, "a") as stream:
                stream.write(json.dumps(recorded.to_json()) + "\n")


def _error_code(response: AWSResponse | None) -> str | None:
    """The error code of a JSON-protocol answer (moto's), or None for a success."""
    if response is None or response.status_code < 400:
        return None
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("__type", f"HTTP {response.status_code}")).rsplit("#", 1)[-1]


def _network_delay(settings: dict[str, Any], arrived: float) -> None:
    """An answer leaves `latency_seconds` after its request arrived (time.monotonic()), the simulation's
    own work included, as AWS's response time includes its own: the simulator (moto above all) is far
    slower than AWS, and its work on top of the latency made every simulated call slower than the setting
    said. Outside every lock: concurrent calls overlap, as on the network."""
    left = float(settings.get("latency_seconds", 0.0)) - (time.monotonic() - arrived)
    if left > 0:
        time.sleep(left)


class SimulatorCpu:
    """CPU seconds this process spent answering requests in the sandbox (simulation and moto), apart from
    the client's own (botocore building, signing and parsing): benchmarks report the two apart. With
    BEDROCK_GITOPS_SANDBOX_CPU_FILE set, every process appends its total to that file when it exits."""

    FILE_ENV_VAR = "BEDROCK_GITOPS_SANDBOX_CPU_FILE"
    _lock = threading.Lock()
    _seconds = 0.0

    @classmethod
    def add(cls, seconds: float) -> None:
        with cls._lock:
            cls._seconds += seconds

    @classmethod
    def seconds(cls) -> float:
        with cls._lock:
            return cls._seconds


@functools.cache
def iam_prefix(service: str) -> str:
    """The IAM action prefix of a botocore service: its signing name (service-quotas -> servicequotas)."""
    return str(service_model(service).signing_name)


@functools.lru_cache(maxsize=1024)
def iam_action(service: str, operation: str) -> str:
    """The IAM action a request is authorized as: its operation, except where AWS names another (Converse
    needs bedrock:InvokeModel; aws/iam_grants.ACTION_OF cites the page). Kept: asked on every call."""
    from reconciler.aws.iam_grants import ACTION_OF

    return f"{iam_prefix(service)}:{ACTION_OF.get((service, operation), operation)}"


def _append_simulator_cpu() -> None:
    path = os.environ.get(SimulatorCpu.FILE_ENV_VAR)
    if path:
        with open(path, "a") as stream:
            stream.write(f"{SimulatorCpu.seconds()}\n")


atexit.register(_append_simulator_cpu)


def _response(
    url: str, status: int, headers: dict[str, str], body: bytes, date: datetime | None = None
) -> AWSResponse:
    if date is not None:
        headers = {**headers, "Date": _http_date(math.floor(date.timestamp()))}
    return aws_response(url, status, headers, body)


@functools.lru_cache(maxsize=16)
def _http_date(seconds: int) -> str:
    """An HTTP Date header (whole seconds, as the header has): a frozen or slow clock asks the same again."""
    return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


_active: Simulation | None = None
_active_lock = threading.Lock()


def _before_send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse | None:
    simulation = _active
    if simulation is None:
        return None
    parts = event_name.split(".")
    if len(parts) < 3 or parts[1] not in SIMULATED_SERVICES:
        return None
    return simulation.answer(parts[1], parts[2], request)


class _AheadOfMoto:
    """botocore calls every before-send handler (it only keeps the first response), so ours cannot simply be
    registered ahead of moto's: moto would still see the request and fail on operations it lacks. This one
    handler replaces moto's entry, answers Bedrock/RAM itself and hands everything else to moto."""

    def __init__(self, moto_stubber: Callable[..., AWSResponse | None] | None) -> None:
        self.moto_stubber = moto_stubber
        # moto loads a service's model on its first request, behind a functools.cache that does not hold
        # back concurrent misses: 32 first AssumeRoles at once loaded the STS model 32 times (~0.1 s of CPU
        # each). The first request of each service goes alone.
        self._served: set[str] = set()
        self._first_request = threading.Lock()

    def _alone_if_first(self, service: str, forward: Callable[[], AWSResponse | None]) -> AWSResponse | None:
        if service in self._served:
            return forward()
        with self._first_request:
            response = forward()
            self._served.add(service)
            return response

    def __call__(
        self, request: AWSPreparedRequest, event_name: str = "", **kwargs: Any
    ) -> AWSResponse | None:
        started = time.thread_time()  # CPU of this thread only: a sleep for latency costs none
        arrived = time.monotonic()
        try:
            response = self._answer(request, event_name, **kwargs)
            simulation = _active
            if simulation is not None and response is not None:
                # Every answer of the simulated AWS (Bedrock, RAM, and the services moto serves, STS
                # included) takes the simulated network's time, its own work included.
                _network_delay(simulation.settings(), arrived)
            return response
        finally:
            SimulatorCpu.add(time.thread_time() - started)

    def _answer(self, request: AWSPreparedRequest, event_name: str, **kwargs: Any) -> AWSResponse | None:
        """The simulation's answer (Bedrock, RAM), else moto's (the services it serves, with the sandbox's
        state, faults and policies around them), else None (not a request the sandbox answers)."""
        response = _before_send(request, event_name)
        if response is not None or self.moto_stubber is None:
            return response
        stubber = self.moto_stubber
        parts = event_name.split(".")
        service = parts[1] if len(parts) >= 3 else event_name

        def forward() -> AWSResponse | None:
            return self._alone_if_first(
                service,
                lambda: stubber(event_name=event_name, request=naming_the_account(request), **kwargs),
            )

        simulation = _active
        if simulation is not None and len(parts) >= 3 and parts[1] in MOTO_SERVICES:
            return simulation.through_moto(parts[1], parts[2], request, forward)
        return forward()


def installed_handler() -> _AheadOfMoto | None:
    """The handler `_install` put in botocore's built-in handlers (the sandbox server calls it directly)."""
    # Entries are (event, handler) or (event, handler, position).
    return next(
        (entry[1] for entry in botocore.handlers.BUILTIN_HANDLERS if isinstance(entry[1], _AheadOfMoto)),
        None,
    )


def _install() -> None:
    if installed_handler() is not None:
        return
    handlers = botocore.handlers.BUILTIN_HANDLERS
    for index, entry in enumerate(handlers):
        event, handler = entry[0], entry[1]
        if event == "before-send" and type(handler).__name__ == "BotocoreStubber":
            handlers[index] = ("before-send", _AheadOfMoto(handler))
            return
    handlers.insert(0, ("before-send", _AheadOfMoto(None)))


_install()


def activate(simulation: Simulation) -> Callable[[], None]:
    """Route this process's Bedrock/RAM requests to `simulation`; returns the function that stops it."""
    global _active  # noqa: PLW0603  (one estate per process: the hook is process-wide by nature)
    with _active_lock:
        if _active is not None:
            raise RuntimeError("a sandbox estate is already open in this process")
        _active = simulation

    def deactivate() -> None:
        global _active  # noqa: PLW0603
        with _active_lock:
            _active = None

    return deactivate
