"""Figure 4: apply of N model copies that each take T real seconds (the sandbox's clock runs at
copy_job_seconds / T), on the real clock, with the executor's workers bounded as given."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.estate import Shape, generate
from reconciler.applying import ApplyRequest, apply
from reconciler.aws.executor import ExecutionOptions
from reconciler.sandbox.estate import SandboxEstate

SIMULATED_COPY_SECONDS = 1200


def timed_apply(copies: int, copy_seconds: float, workers: int) -> tuple[float, int]:
    """Seconds the apply took, and how many copy jobs it left Completed."""
    with tempfile.TemporaryDirectory(prefix="bgo-bench-") as directory:
        root = Path(directory)
        # Account 0 owns the model; the other `copies` accounts each need one copy (and its throughput).
        # The share exists already: the apply is the copies and what serves them.
        state, _ = generate(
            root,
            Shape(copies + 1, 1, 1, 1),
            applied=lambda action: action.operation == "CreateResourceShare",
        )
        sandbox_dir = root / ".sandbox"
        with SandboxEstate.open(sandbox_dir) as estate:
            estate.reset(state)
            estate.update_settings(
                latency_seconds=0.05,
                copy_job_seconds=SIMULATED_COPY_SECONDS if copy_seconds else 0,
                throughput_seconds=0,
                time_scale=SIMULATED_COPY_SECONDS / copy_seconds if copy_seconds else 0.0,
            )
        request = ApplyRequest(
            root=root,
            sandbox=True,
            sandbox_dir=sandbox_dir,
            options=ExecutionOptions(max_workers=workers, poll_seconds=max(copy_seconds, 1) / 20),
        )
        started = time.perf_counter()
        result = apply(request, confirm=lambda _plan: True)
        total = time.perf_counter() - started
        with SandboxEstate.open(sandbox_dir) as estate:
            snapshot = estate.state_snapshot()
    del result
    done = sum(
        1
        for scope in snapshot["bedrock"].values()
        for job in scope["copy_jobs"].values()
        if job["status"] == "Completed"
    )
    return total, done
