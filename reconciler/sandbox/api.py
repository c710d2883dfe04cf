"""The contract between the simulation's dispatcher and its per-service operation handlers."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class SimulatedError(Exception):
    """An AWS error response: `code` is the real error code, `status` its HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> SimulatedError:
    return SimulatedError("ValidationException", message, 400)


def not_found(message: str) -> SimulatedError:
    return SimulatedError("ResourceNotFoundException", message, 404)


def conflict(message: str) -> SimulatedError:
    return SimulatedError("ConflictException", message, 409)


def access_denied(message: str) -> SimulatedError:
    return SimulatedError("AccessDeniedException", message, 403)


@dataclass
class Call:
    """One decoded request, as the handler sees it.

    `params` are the operation's input members (botocore names, already checked against the service model,
    timestamps as datetime). `state` is the estate's mutable JSON-able document (see store.py): a handler
    reads and writes only its own service's part of it. `now` is the simulated clock.
    """

    service: str  # "bedrock" | "ram"
    operation: str  # botocore operation name, e.g. "CreateModelCopyJob"
    account: str  # the calling account (from the request's credentials)
    region: str
    params: dict[str, Any]
    state: dict[str, Any]
    now: datetime
    # The caller (the hook) has already brought asynchronous work up to `now`.
    settled: bool = False
    # The IAM principal a resource policy (a KMS key policy) names for the caller: its role, or its root.
    principal: str = ""


# A handler returns the operation's output members (botocore names; datetimes allowed) or raises
# SimulatedError. Handlers are pure functions of (call) and mutate only call.state.
Handler = Callable[[Call], dict[str, Any]]

# The state document (JSON-able, persisted in the sandbox directory between CLI invocations):
#
#   {
#     "format": 1,
#     "clock": {...},                # owned by clock.py; handlers only see Call.now
#     "sequence": 0,                 # last number used by arns.resource_id(): see next_sequence()
#     "settings": {...},             # settings.DEFAULT_SETTINGS, possibly changed; handlers only read it
#     "organization": {"id": "o-...", "management_account": "...", "accounts": ["...", ...]},
#     "bedrock": {...},              # owned by bedrock.py (layout documented there)
#     "ram": {...},                  # owned by ram.py (layout documented there)
#   }


def next_sequence(state: MutableMapping[str, Any]) -> int:
    """A fresh number for minting resource ids (see arns.resource_id); persisted with the state."""
    number = int(state.get("sequence", 0)) + 1
    state["sequence"] = number
    return number
