"""Order actions into dependency waves, like Argo CD sync waves: wave n only depends on waves < n."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from reconciler.core.plan import Action
from reconciler.errors import ReconcilerError


def assign_waves(actions: Iterable[Action]) -> list[Action]:
    """The actions with `wave` set and sorted by (wave, address). Dependencies on addresses that have no
    action (already converged) are dropped; a cycle is a bug in the planner and raises."""
    by_address = {action.address: action for action in actions}
    waves: dict[str, int] = {}
    visiting: set[str] = set()

    def wave(address: str) -> int:
        if address in waves:
            return waves[address]
        if address in visiting:
            raise ReconcilerError(f"internal error: dependency cycle through {address}")
        visiting.add(address)
        deps = [d for d in by_address[address].depends_on if d in by_address]
        waves[address] = 1 + max((wave(d) for d in deps), default=-1)
        visiting.discard(address)
        return waves[address]

    ordered = [
        dataclasses.replace(
            action,
            wave=wave(address),
            depends_on=tuple(d for d in action.depends_on if d in by_address),
        )
        for address, action in by_address.items()
    ]
    return sorted(ordered, key=lambda a: (a.wave, a.address))
