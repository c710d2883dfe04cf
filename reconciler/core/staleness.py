"""When a saved plan is stale: the requests it would send are no longer the ones a fresh plan sends (pure).

A saved plan is not stale because a job it waits for moved on: copy jobs and capacity run for tens of
minutes, so a plan saved while they run would otherwise be refused again and again. What is compared is
what the plan would *send* (Terraform's rule, stated on requests instead of on a state serial):

- the same creates, updates and deletes, at the same addresses, in the same accounts and Regions, with the
  same request members (idempotency tokens aside: they identify a request, they are not part of it);
- a request member that the saved plan only knew "after apply" (a Ref to a `wait` that has finished since)
  may now be a known value;
- the same removals kept back;
- no new `wait`: a job or resource that was not in flight when the plan was saved and is now was started
  by someone else, which is a real change.

A `wait` of the saved plan that the fresh plan no longer needs is not a change: applying it costs one read
and yields what the job produced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.core.names import TOKEN_MEMBERS
from reconciler.core.plan import Plan, Ref


def request_changes(saved: Plan, fresh: Plan) -> list[str]:
    """What differs between the requests of `saved` and those a `fresh` plan makes (empty: not stale)."""
    finished_waits = {a.address for a in saved.actions if a.change == "wait"} - {
        a.address for a in fresh.actions if a.change == "wait"
    }
    saved_requests = {a.address: a for a in saved.actions if a.change != "wait"}
    fresh_requests = {a.address: a for a in fresh.actions if a.change != "wait"}
    changes: list[str] = []
    for address in sorted(saved_requests.keys() - fresh_requests.keys()):
        changes.append(f"{address}: no longer needed ({saved_requests[address].operation})")
    for address in sorted(fresh_requests.keys() - saved_requests.keys()):
        changes.append(f"{address}: now needs {fresh_requests[address].operation}")
    for address in sorted(saved_requests.keys() & fresh_requests.keys()):
        old, new = saved_requests[address], fresh_requests[address]
        if (old.change, old.operation, old.account, old.region) != (
            new.change,
            new.operation,
            new.account,
            new.region,
        ):
            changes.append(
                f"{address}: the request changed ({old.change} {old.operation} in {old.account} {old.region} "
                f"in the plan, {new.change} {new.operation} in {new.account} {new.region} now)"
            )
        elif differing := _differing_members(old.params, new.params, finished_waits):
            detail = ", ".join(
                f"{key} {_short(old.params.get(key))} in the plan, {_short(new.params.get(key))} now"
                for key in differing
            )
            changes.append(f"{address}: the {new.operation} request changed ({detail})")
    saved_waits = {a.address for a in saved.actions if a.change == "wait"}
    for action in fresh.actions:
        if action.change == "wait" and action.address not in saved_waits:
            changes.append(f"{action.address}: now {action.reason} (started since the plan was made)")
    if _removals(saved) != _removals(fresh):
        changes.append("the managed resources no longer declared are not the same")
    return changes


def _removals(plan: Plan) -> list[tuple[str, str, str]]:
    return sorted((r.address, r.arn, r.blocked_by) for r in plan.removals)


def _differing_members(
    saved: Mapping[str, Any], fresh: Mapping[str, Any], finished_waits: set[str]
) -> list[str]:
    """The request members (tokens aside) whose values differ, by name."""
    keys = (saved.keys() | fresh.keys()) - TOKEN_MEMBERS
    return sorted(
        key
        for key in keys
        if not (key in saved and key in fresh and _same_value(saved[key], fresh[key], finished_waits))
    )


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, Ref) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _same_value(saved: Any, fresh: Any, finished_waits: set[str]) -> bool:
    if isinstance(saved, Ref) and saved.address in finished_waits and not isinstance(fresh, Ref):
        return True  # known after the wait, which has finished since: the value is now known
    if isinstance(saved, Mapping) and isinstance(fresh, Mapping):
        return saved.keys() == fresh.keys() and all(
            _same_value(saved[k], fresh[k], finished_waits) for k in saved
        )
    if isinstance(saved, list | tuple) and isinstance(fresh, list | tuple):
        return len(saved) == len(fresh) and all(
            _same_value(a, b, finished_waits) for a, b in zip(saved, fresh, strict=True)
        )
    return bool(saved == fresh)
