"""The embedded simulated AWS estate: open it, get a boto3 Session, and use real clients against it."""

from __future__ import annotations

import contextlib
import copy
import difflib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from reconciler.errors import ReconcilerError
from reconciler.sandbox import clock
from reconciler.sandbox.hook import RecordedRequest, Simulation, activate
from reconciler.sandbox.settings import DEFAULT_SETTINGS, setting_problem
from reconciler.sandbox.statefile import State, StateFile
from reconciler.sandbox.wire import BASE_ACCESS_KEY

DIRECTORY_ENV_VAR = "BEDROCK_GITOPS_SANDBOX_DIR"
RECORD_ENV_VAR = "BEDROCK_GITOPS_SANDBOX_RECORD"
MANAGEMENT_ACCOUNT = "123456789012"
LOCK_TABLE = "bedrock-gitops-locks"
LOCK_REGION = "us-east-1"
LOCK_KEY_ATTRIBUTE = "LockKey"
STATE_FORMAT = 1


def sandbox_directory(root: Path) -> Path:
    configured = os.environ.get(DIRECTORY_ENV_VAR)
    return Path(configured) if configured else root / ".sandbox"


def initial_state(estate: State | None = None) -> State:
    """`estate` (a document from seed.py or synthetic.py) with default settings and a clock; the seed if
    None."""
    from reconciler.sandbox.seed import seed_state

    state = copy.deepcopy(estate) if estate is not None else seed_state()
    # The apply lock's DynamoDB table (reconciler/aws/lock.py defaults), in the tooling account.
    tooling = state["dynamodb"] = state.get("dynamodb") or {}
    tooling.setdefault(f"{MANAGEMENT_ACCOUNT}/{LOCK_REGION}", {}).setdefault(
        LOCK_TABLE, {"key": LOCK_KEY_ATTRIBUTE, "items": {}}
    )
    state["settings"] = copy.deepcopy(DEFAULT_SETTINGS)
    clock.anchor(state, datetime.now(UTC).replace(microsecond=0))
    return state


def _simulation(store: StateFile, record_file: Path | None) -> Simulation:
    from reconciler.sandbox import bedrock, bedrock_runtime, governance, ram

    # DynamoDB (the apply lock) and KMS are moto's, kept in the document (moto_state.py).
    handlers = {"bedrock": bedrock.HANDLERS, "ram": ram.HANDLERS}
    handlers["bedrock-runtime"] = bedrock_runtime.HANDLERS
    handlers.update(governance.HANDLERS)  # Organizations, KMS, Service Quotas (preflight reads)
    return Simulation(store, handlers, record_file, settle=bedrock.settle)


class SandboxEstate:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.store = StateFile(directory, initial_state)
        record_dir = os.environ.get(RECORD_ENV_VAR)
        record_file = Path(record_dir) / f"requests-{os.getpid()}.jsonl" if record_dir else None
        if record_file is not None:
            record_file.parent.mkdir(parents=True, exist_ok=True)
        self.simulation = _simulation(self.store, record_file)

    @classmethod
    @contextlib.contextmanager
    def open(cls, directory: Path) -> Iterator[SandboxEstate]:
        estate = cls(Path(directory))
        with mock_aws():
            deactivate = activate(estate.simulation)
            try:
                with estate.store.locked(write=False) as state:
                    if state.get("format") != STATE_FORMAT:
                        raise ReconcilerError(
                            f"the sandbox in {directory} was made by another version of bedrock-gitops; "
                            "reset it with: bedrock-gitops sandbox reset"
                        )
                yield estate
            finally:
                deactivate()
                estate.store.close()

    def session(self, region: str = "us-east-1") -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=BASE_ACCESS_KEY, aws_secret_access_key=BASE_ACCESS_KEY, region_name=region
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.simulation.requests

    def settings(self) -> dict[str, Any]:
        with self.store.locked(write=False) as state:
            return copy.deepcopy(state["settings"])

    def update_settings(self, **values: Any) -> None:
        for key, value in values.items():
            if key not in DEFAULT_SETTINGS:
                close = difflib.get_close_matches(key, DEFAULT_SETTINGS, n=1)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else f"settings: {', '.join(sorted(DEFAULT_SETTINGS))}"
                )
                raise ReconcilerError(f"unknown sandbox setting '{key}'; {hint}")
            expected = type(DEFAULT_SETTINGS[key])
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                values[key] = float(value)
            elif not isinstance(value, expected):
                raise ReconcilerError(f"sandbox setting '{key}' takes a {expected.__name__}, not {value!r}")
            problem = setting_problem(key, values[key])
            if problem:
                raise ReconcilerError(problem)
        with self.store.locked(write=True) as state:
            for key, value in values.items():
                if key == "time_scale":
                    clock.set_scale(state, value)
                else:
                    state["settings"][key] = copy.deepcopy(value)

    def reset(self, estate: State | None = None) -> None:
        """Back to the seed, or to a generated estate (see synthetic.py), with default settings."""
        self.store.replace(initial_state(estate))

    def now(self) -> datetime:
        with self.store.locked(write=False) as state:
            return clock.now(state)

    def advance(self, seconds: float) -> datetime:
        with self.store.locked(write=True) as state:
            return clock.advance(state, seconds)

    def state_snapshot(self) -> State:
        with self.store.locked(write=False) as state:
            return copy.deepcopy(state)
