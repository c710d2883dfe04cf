"""Live progress of an apply: a table redrawn in place on a terminal, plain log lines everywhere else
(CI logs, pipes), so an unattended run leaves a readable, greppable record."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from reconciler.aws.executor import Progress
from reconciler.core.apply_report import StepResult
from reconciler.core.plan import Action

_DONE_WORDS = {"done": "done", "failed": "FAILED", "skipped": "skipped", "timed_out": "still running"}


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _clean(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


@dataclass
class _Row:
    action: Action
    status: str
    started: float
    finished: float | None = None


class LineProgress(Progress):
    """One line per change of a step's state, e.g.
    `[  0m12s] prod/us-east-1/financial-analyst/copy: InProgress (elapsed 0m10s)`."""

    def __init__(self, stream: TextIO | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream or sys.stdout
        self._monotonic = monotonic
        self._start = monotonic()
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._gone = False

    def _line(self, address: str, text: str) -> None:
        stamp = _elapsed(self._monotonic() - self._start)
        with self._lock:
            if self._gone:
                return
            try:
                print(f"[{stamp:>8}] {_clean(address)}: {_clean(text)}", file=self._stream, flush=True)
            except OSError:  # the reader went away (`apply | head`, a closed CI log): apply goes on
                self._gone = True

    def started(self, action: Action) -> None:
        self._started[action.address] = self._monotonic()
        self._line(action.address, f"{action.operation} in {action.account} {action.region}")

    def status(self, action: Action, status: str) -> None:
        waited = self._monotonic() - self._started.get(action.address, self._start)
        self._line(action.address, f"{status} (elapsed {_elapsed(waited)})")

    def finished(self, result: StepResult) -> None:
        words = _DONE_WORDS[result.outcome]
        detail = f": {result.message}" if result.outcome != "done" else ""
        self._line(result.address, f"{words}{detail}")


class TerminalProgress(Progress):
    """A table of the running and finished steps, redrawn in place once a second."""

    def __init__(self, stream: TextIO | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream or sys.stdout
        self._monotonic = monotonic
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._drawn_lines = 0
        self._gone = False
        self._stop = threading.Event()
        self._painter = threading.Thread(target=self._paint_loop, daemon=True, name="progress")

    def __enter__(self) -> TerminalProgress:
        self._painter.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._painter.join()
        self._paint()

    def started(self, action: Action) -> None:
        with self._lock:
            self._rows[action.address] = _Row(action, "starting", self._monotonic())

    def status(self, action: Action, status: str) -> None:
        with self._lock:
            row = self._rows.get(action.address)
            if row is not None:
                row.status = status

    def finished(self, result: StepResult) -> None:
        with self._lock:
            row = self._rows.get(result.address)
            now = self._monotonic()
            if row is None:
                row = self._rows[result.address] = _Row(_stub(result), "", now)
            row.status = _DONE_WORDS[result.outcome]
            row.finished = now

    def _paint_loop(self) -> None:
        while not self._stop.wait(1.0):
            self._paint()

    def _paint(self) -> None:
        with self._lock:
            # Nothing to show before the first step (the confirmation prompt may still be on screen).
            if not self._rows or self._gone:
                return
            now = self._monotonic()
            lines = [f"{'STEP':<52} {'REGION':<14} {'STATUS':<14} ELAPSED"]
            for row in self._rows.values():
                elapsed = (row.finished or now) - row.started
                lines.append(
                    f"{_clean(row.action.address)[:52]:<52} {row.action.region:<14} "
                    f"{_clean(row.status)[:14]:<14} {_elapsed(elapsed)}"
                )
            # Move up over the previous drawing and clear to the end of the screen, then redraw.
            prefix = f"\033[{self._drawn_lines}F\033[J" if self._drawn_lines else ""
            try:
                self._stream.write(prefix + "\n".join(lines) + "\n")
                self._stream.flush()
            except OSError:  # the terminal went away: apply goes on
                self._gone = True
            self._drawn_lines = len(lines)


def _stub(result: StepResult) -> Action:
    return Action(
        address=result.address,
        change="create",
        service="bedrock",
        operation=result.operation,
        account=result.account,
        region=result.region,
        params={},
        reason="",
    )
