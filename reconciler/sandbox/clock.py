"""Simulated time: it runs `time_scale` times faster than real time (also between CLI invocations), can be
frozen (time_scale 0, for tests) and moved forward on demand, so hour-long copy jobs finish in seconds."""

from __future__ import annotations

import functools
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def anchor(state: MutableMapping[str, Any], simulated: datetime) -> None:
    state["clock"] = {"simulated": simulated.isoformat(), "real": time.time()}


def now(state: MutableMapping[str, Any]) -> datetime:
    clock = state.get("clock")
    if not clock:
        anchor(state, datetime.now(UTC).replace(microsecond=0))
        clock = state["clock"]
    scale = float(state.get("settings", {}).get("time_scale", 0.0))
    anchored = _parsed(clock["simulated"])
    if scale == 0.0:  # frozen (tests, benchmarks): no need to look at the real clock
        return anchored
    elapsed = max(0.0, time.time() - float(clock["real"])) * scale
    return anchored + timedelta(seconds=elapsed)


@functools.lru_cache(maxsize=64)
def _parsed(simulated: str) -> datetime:
    """The anchor's time (read on every simulated call; it changes only when the clock is re-anchored)."""
    return datetime.fromisoformat(simulated)


def advance(state: MutableMapping[str, Any], seconds: float) -> datetime:
    moved = now(state) + timedelta(seconds=seconds)
    anchor(state, moved)
    return moved


def set_scale(state: MutableMapping[str, Any], scale: float) -> None:
    """Re-anchor first, so time already elapsed keeps the old scale."""
    anchor(state, now(state))
    state.setdefault("settings", {})["time_scale"] = scale


class SandboxClock:
    """The apply executor's clock over a sandbox's simulated time: `sleep` moves the simulated clock instead
    of waiting, so a test applies hour-long copy jobs in milliseconds (with time_scale 0)."""

    def __init__(self, directory: Path) -> None:
        from reconciler.sandbox.statefile import StateFile

        self._store = StateFile(directory, _no_initial_state)

    def now(self) -> float:
        with self._store.locked(write=False) as state:
            return now(state).timestamp()

    def sleep(self, seconds: float) -> None:
        with self._store.locked(write=True) as state:
            advance(state, seconds)


def _no_initial_state() -> dict[str, Any]:
    raise RuntimeError("SandboxClock needs an existing sandbox (open it once first)")
