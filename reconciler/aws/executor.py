"""Carry out a plan against AWS: every action as soon as what it depends on is done, independent branches in
parallel (bounded), a failure stopping only what depends on it, and a report of exactly what happened.

The order comes from the plan (share → accept → copy → wait → capacity → tags); the rules of when an
action may start are the pure functions of reconciler.core.schedule.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.clients import AwsClients
from reconciler.aws.limits import DEFAULT_MAX_WORKERS
from reconciler.aws.steps import (
    STEPS,
    Clock,
    StepContext,
    StepFailedError,
    StepTimeoutError,
    describe_failure,
)
from reconciler.core.apply_report import ApplyReport, Outcome, StepResult
from reconciler.core.names import TOKEN_MEMBERS, request_token
from reconciler.core.plan import Action, Plan
from reconciler.core.schedule import blocking_prerequisite, check_plan_graph, ready, resolve
from reconciler.errors import AwsAccessError, ReconcilerError

DEFAULT_POLL_SECONDS = 30.0
# Steps spend most of their life waiting (a copy job takes minutes to hours), so each gets its own thread;
# the AWS calls they make are bounded separately, by --max-workers.
MAX_STEP_THREADS = 256


class RealClock:
    """Wall-clock time whose sleeps end early when the run is interrupted."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self._stop = stop or threading.Event()

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)


@dataclass(frozen=True)
class ExecutionOptions:
    max_workers: int = DEFAULT_MAX_WORKERS
    poll_seconds: float = DEFAULT_POLL_SECONDS
    timeout_seconds: float | None = None


class Progress:
    """What a display needs to know; the default shows nothing."""

    def started(self, action: Action) -> None:
        pass

    def status(self, action: Action, status: str) -> None:
        pass

    def finished(self, result: StepResult) -> None:
        pass


def unsupported_operations(plan: Plan) -> list[str]:
    return sorted({action.operation for action in plan.actions if action.operation not in STEPS})


def execute(
    plan: Plan,
    clients: AwsClients,
    *,
    options: ExecutionOptions = ExecutionOptions(),
    clock: Clock | None = None,
    progress: Progress | None = None,
    lock_id: str = "",
    before_step: Callable[[Action], None] | None = None,
) -> ApplyReport:
    """Apply every action of `plan`; never raises for an AWS failure of one step (it is in the report)."""
    check_plan_graph(plan)
    unsupported = unsupported_operations(plan)
    if unsupported:
        raise ReconcilerError(
            f"the plan asks for operations this version of bedrock-gitops cannot apply: "
            f"{', '.join(unsupported)}. Re-plan with this version."
        )
    stop = threading.Event()
    call_slots = threading.Semaphore(max(1, options.max_workers))
    clock = clock or RealClock(stop)
    progress = progress or Progress()
    started_at = _now_iso()
    deadline = None if options.timeout_seconds is None else clock.now() + options.timeout_seconds
    outputs: dict[str, dict[str, str]] = {}
    results: dict[str, StepResult] = {}
    lock = threading.Lock()

    def run(action: Action) -> StepResult:
        if before_step is not None:
            before_step(action)
        progress.started(action)
        with lock:
            known = dict(outputs)
        if stop.is_set():
            return _not_run(action, "not started: the apply was interrupted")
        result = _run_step(action, known, clients, clock, options, deadline, progress, stop, call_slots)
        progress.finished(result)
        return result

    interrupted = False
    try:
        _schedule(plan, run, results, outputs, lock, progress, stop)
    except KeyboardInterrupt:
        interrupted = True
    ordered = tuple(
        results.get(action.address) or _not_run(action, "not started: the apply was interrupted")
        for action in plan.actions
    )
    return ApplyReport(
        plan_created_at=plan.created_at,
        manifests_fingerprint=plan.manifests_fingerprint,
        live_fingerprint=plan.live_fingerprint,
        started_at=started_at,
        finished_at=_now_iso(),
        steps=ordered,
        lock_id=lock_id,
        interrupted=interrupted,
    )


def _schedule(
    plan: Plan,
    run: Callable[[Action], StepResult],
    results: dict[str, StepResult],
    outputs: dict[str, dict[str, str]],
    lock: threading.Lock,
    progress: Progress,
    stop: threading.Event,
) -> None:
    """Start every action whose prerequisites are done; skip those with one that failed."""
    planned = [action.address for action in plan.actions]
    pending = list(plan.actions)
    running: dict[Future[StepResult], str] = {}
    threads = max(1, min(len(plan.actions), MAX_STEP_THREADS))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="apply") as pool:
        try:
            _drive(pool, pending, running, run, results, outputs, lock, progress, planned)
        except BaseException:
            # Ctrl-C or a crash: start nothing more and end the waits (jobs keep running in AWS, and the next
            # apply waits for them), let the calls in flight return, and keep what they did for the report.
            stop.set()
            pool.shutdown(wait=True)
            for future, address in running.items():
                if not future.cancelled() and future.exception() is None:
                    results[address] = future.result()
            raise


def _drive(
    pool: ThreadPoolExecutor,
    pending: list[Action],
    running: dict[Future[StepResult], str],
    run: Callable[[Action], StepResult],
    results: dict[str, StepResult],
    outputs: dict[str, dict[str, str]],
    lock: threading.Lock,
    progress: Progress,
    planned: list[str],
) -> None:
    finished: dict[str, str] = {}
    while pending or running:
        still_pending: list[Action] = []
        for action in pending:
            blocker = blocking_prerequisite(action, finished, planned)
            if blocker is not None:
                address, outcome = blocker
                result = _not_run(action, f"not started: {address} {_outcome_words(outcome)}")
                finished[action.address] = "skipped"
                results[action.address] = result
                progress.finished(result)
            elif ready(action, finished, planned):
                running[pool.submit(run, action)] = action.address
            else:
                still_pending.append(action)
        pending = still_pending
        if not running:
            if pending:  # cannot happen with a checked graph; never spin
                raise ReconcilerError(f"internal error: {pending[0].address} can never start")
            break
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            address = running.pop(future)
            result = future.result()
            results[address] = result
            finished[address] = result.outcome
            if result.outcome == "done":
                with lock:
                    outputs[address] = dict(result.outputs)


def _run_step(
    action: Action,
    known: dict[str, dict[str, str]],
    clients: AwsClients,
    clock: Clock,
    options: ExecutionOptions,
    deadline: float | None,
    progress: Progress,
    stop: threading.Event,
    call_slots: threading.Semaphore,
) -> StepResult:
    context = StepContext(
        clients=clients,
        clock=clock,
        poll_seconds=options.poll_seconds,
        deadline=deadline,
        progress=lambda _address, status: progress.status(action, status),
        stop=stop,
        call_slots=call_slots,
    )
    started = clock.now()
    started_at = _now_iso()
    outcome: Outcome = "done"
    message = ""
    outputs: dict[str, str] = {}
    try:
        params: dict[str, Any] = resolved_request(action, known)
        outputs = STEPS[action.operation](context, action, params)
    except StepTimeoutError as timeout:
        outcome, message, outputs = "timed_out", str(timeout), timeout.outputs
    except StepFailedError as failure:
        outcome, message, outputs = "failed", str(failure), failure.outputs
    except (ClientError, BotoCoreError, AwsAccessError, ReconcilerError) as error:
        outcome, message = "failed", describe_failure(error)
    return StepResult(
        address=action.address,
        operation=action.operation,
        account=action.account,
        region=action.region,
        outcome=outcome,
        message=message or _done_message(action),
        outputs=outputs,
        calls=tuple(context.calls),
        started_at=started_at,
        duration_seconds=max(0.0, clock.now() - started),
    )


def resolved_request(action: Action, known: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The action's request with its Refs replaced by what earlier steps produced. A request that held a
    Ref gets its token made again over the resolved values: the same plan address may stand for another
    model ARN in another run, and AWS refuses a token reused for a different request."""
    params: dict[str, Any] = resolve(dict(action.params), known)
    if params != dict(action.params):
        for member in TOKEN_MEMBERS & params.keys():
            params[member] = request_token(
                action.operation, action.account, action.region, params, generation=[str(params[member])]
            )
    return params


def _not_run(action: Action, message: str) -> StepResult:
    return StepResult(action.address, action.operation, action.account, action.region, "skipped", message)


def _outcome_words(outcome: str) -> str:
    return {"failed": "failed", "skipped": "was skipped", "timed_out": "is still running"}.get(
        outcome, outcome
    )


def _done_message(action: Action) -> str:
    return f"{action.operation} in {action.account} {action.region}"


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
