"""The rules of an apply run, as pure functions: when an action may start, when it must be skipped, and
how the values "known after apply" are filled in from the steps that produced them.

Like Argo CD's sync waves, but finer: an action starts as soon as everything it depends on is done, not
when its whole wave is; a failed action stops only the actions that depend on it (transitively).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.core.plan import Action, Plan, Ref
from reconciler.errors import ReconcilerError


class UnresolvedRefError(ReconcilerError):
    """A Ref names a step output that does not exist: a bug in the planner or a hand-edited plan."""


def resolve(value: Any, outputs: Mapping[str, Mapping[str, str]]) -> Any:
    """`value` with every Ref replaced by the output of the step it names."""
    if isinstance(value, Ref):
        produced = outputs.get(value.address, {})
        if value.attribute not in produced:
            raise UnresolvedRefError(
                f"{value.address}.{value.attribute} is not known: the step that produces it did not run"
            )
        return produced[value.attribute]
    if isinstance(value, Mapping):
        return {key: resolve(item, outputs) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(item, outputs) for item in value]
    return value


def references(value: Any) -> set[str]:
    """Addresses of the steps whose outputs `value` uses."""
    if isinstance(value, Ref):
        return {value.address}
    if isinstance(value, Mapping):
        return set().union(*(references(item) for item in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(references(item) for item in value))
    return set()


def prerequisites(action: Action) -> frozenset[str]:
    """Everything that must be done first: declared dependencies and the producers of its Refs."""
    return frozenset(action.depends_on) | frozenset(references(action.params))


def blocking_prerequisite(
    action: Action, finished: Mapping[str, str], planned: Iterable[str]
) -> tuple[str, str] | None:
    """(address, outcome) of a prerequisite that finished without being done, if any.

    `finished` maps address -> outcome ("done", "failed", ...) of the steps that ended; prerequisites that
    are not in the plan at all were already converged when it was made and count as done."""
    planned_addresses = set(planned)
    for address in sorted(prerequisites(action)):
        if address not in planned_addresses:
            continue
        outcome = finished.get(address)
        if outcome is not None and outcome != "done":
            return address, outcome
    return None


def ready(action: Action, finished: Mapping[str, str], planned: Iterable[str]) -> bool:
    planned_addresses = set(planned)
    return all(
        finished.get(address) == "done" for address in prerequisites(action) if address in planned_addresses
    )


def check_plan_graph(plan: Plan) -> None:
    """Refuse a plan whose actions reference unknown steps or repeat an address (a corrupt plan file)."""
    addresses = [action.address for action in plan.actions]
    duplicates = sorted({a for a in addresses if addresses.count(a) > 1})
    if duplicates:
        raise ReconcilerError(
            f"the plan has more than one action for {', '.join(duplicates)}; it is corrupt. "
            "Make a new one with `bedrock-gitops plan -out FILE`."
        )
    known = set(addresses)
    for action in plan.actions:
        unknown = sorted(references(action.params) - known)
        if unknown:
            raise ReconcilerError(
                f"action {action.address} uses values of {', '.join(unknown)}, which the plan does not "
                "produce; the plan is corrupt. Make a new one with `bedrock-gitops plan -out FILE`."
            )
