"""Apply progress: greppable lines off a terminal, a table redrawn in place on one."""

from __future__ import annotations

import io

from reconciler.core.apply_report import StepResult
from reconciler.core.plan import Action
from reconciler.progress import LineProgress, TerminalProgress

COPY = Action(
    address="prod/us-west-2/financial-analyst/copy",
    change="create",
    service="bedrock",
    operation="CreateModelCopyJob",
    account="777788889999",
    region="us-west-2",
    params={},
    reason="",
)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_say_what_runs_where_and_for_how_long() -> None:
    stream, ticks = io.StringIO(), Ticks()
    progress = LineProgress(stream, monotonic=ticks)
    progress.started(COPY)
    ticks.now = 75
    progress.status(COPY, "InProgress")
    ticks.now = 3700
    progress.finished(
        StepResult(COPY.address, COPY.operation, COPY.account, COPY.region, "failed", "boom\x1b[2J")
    )
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[   0m00s] prod/us-west-2/financial-analyst/copy: CreateModelCopyJob in 777788889999 us-west-2",
        "[   1m15s] prod/us-west-2/financial-analyst/copy: InProgress (elapsed 1m15s)",
        "[1h01m40s] prod/us-west-2/financial-analyst/copy: FAILED: boom?[2J",
    ]


def test_the_terminal_table_is_redrawn_in_place() -> None:
    stream, ticks = io.StringIO(), Ticks()
    with TerminalProgress(stream, monotonic=ticks) as progress:
        progress.started(COPY)
        ticks.now = 12
        progress.status(COPY, "InProgress")
        progress._paint()
        ticks.now = 30
        progress.finished(StepResult(COPY.address, COPY.operation, COPY.account, COPY.region, "done"))
    text = stream.getvalue()
    assert "prod/us-west-2/financial-analyst/copy" in text
    assert "InProgress" in text
    assert "0m12s" in text
    assert text.rstrip().endswith("0m30s")
    assert "\x1b[2F\x1b[J" in text  # moved up over the previous table
