"""What an apply did, as data: one result per plan action, written as a JSON report for the audit trail and
for posting back to the pull request.

The report is the honest record of a run, Terraform-style: every AWS call made (request members that
identify the resource, never credentials), what each step created (ARNs), how long it took, and for every
action that did not complete, why (failed, skipped because something it depends on failed, or still
running when the timeout hit).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reconciler.core.verification import CapacityVerification, render_verifications
from reconciler.errors import ReconcilerError

REPORT_FORMAT_VERSION = 1

Outcome = Literal["done", "failed", "skipped", "timed_out"]
OUTCOMES: tuple[Outcome, ...] = ("done", "failed", "skipped", "timed_out")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One AWS call an apply step made."""

    service: str
    operation: str
    account: str
    region: str
    # The request members that identify what was asked (names, ARNs, units); tokens and tags left out.
    request: Mapping[str, Any]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    address: str
    operation: str
    account: str
    region: str
    outcome: Outcome
    message: str = ""
    # ARNs and ids the step produced or waited for, e.g. {"jobArn": ..., "targetModelArn": ...}.
    outputs: Mapping[str, str] = field(default_factory=dict)
    calls: tuple[CallRecord, ...] = ()
    started_at: str | None = None
    duration_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ApplyReport:
    plan_created_at: str
    manifests_fingerprint: str
    live_fingerprint: str
    started_at: str
    finished_at: str
    steps: tuple[StepResult, ...]
    lock_id: str = ""
    # Ctrl-C (SIGINT) stopped the run: what had not finished is reported as skipped or still running.
    interrupted: bool = False
    # The saved plan file's digest (core/saved_plan.py:plan_digest), to tie the report to the plan reviewed.
    plan_digest: str = ""
    format_version: int = REPORT_FORMAT_VERSION
    # Smoke verification of the capacity this apply brought InService/Active (environments' spec.verify).
    verifications: tuple[CapacityVerification, ...] = ()

    def count(self, outcome: Outcome) -> int:
        return sum(1 for step in self.steps if step.outcome == outcome)

    @property
    def succeeded(self) -> bool:
        return not self.interrupted and all(step.outcome == "done" for step in self.steps) and self.verified

    @property
    def verified(self) -> bool:
        return all(verification.passed for verification in self.verifications)

    def summary(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in OUTCOMES}

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "plan_created_at": self.plan_created_at,
            "manifests_fingerprint": self.manifests_fingerprint,
            "live_fingerprint": self.live_fingerprint,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "lock_id": self.lock_id,
            "plan_digest": self.plan_digest,
            "interrupted": self.interrupted,
            "succeeded": self.succeeded,
            "summary": self.summary(),
            "steps": [_step_json(step) for step in self.steps],
            "verifications": [verification.to_json() for verification in self.verifications],
        }


def _step_json(step: StepResult) -> dict[str, Any]:
    return {
        "address": step.address,
        "operation": step.operation,
        "account": step.account,
        "region": step.region,
        "outcome": step.outcome,
        "message": step.message,
        "outputs": dict(step.outputs),
        "started_at": step.started_at,
        "duration_seconds": round(step.duration_seconds, 3),
        "calls": [
            {
                "service": call.service,
                "operation": call.operation,
                "account": call.account,
                "region": call.region,
                "request": dict(call.request),
                "error": call.error,
            }
            for call in step.calls
        ],
    }


def report_path_problem(path: Path) -> str | None:
    """Why the report cannot be written to `path` (checked before apply starts), or None."""
    if path.is_dir():
        return (
            f"cannot write the apply report to {path}: it is a folder; name a file, e.g. {path}/report.json"
        )
    return None


def write_report(report: ApplyReport, path: Path) -> None:
    """Atomically: a reader (the PR comment job) never sees half a report."""
    problem = report_path_problem(path)
    if problem:
        raise ReconcilerError(problem)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise ReconcilerError(
            f"cannot write the apply report to {path}: {error.strerror or error}; choose a writable place"
        ) from None
    try:
        with os.fdopen(descriptor, "w") as stream:
            json.dump(report.to_json(), stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def render_report(report: ApplyReport) -> str:
    """The end-of-apply summary a human reads: what was done, what failed and why, what was skipped."""
    lines: list[str] = []
    by_outcome: dict[str, list[StepResult]] = {outcome: [] for outcome in OUTCOMES}
    for step in report.steps:
        by_outcome[step.outcome].append(step)
    titles = {
        "failed": "Failed",
        "timed_out": "Still running when the timeout was reached (the next apply resumes them)",
        "skipped": "Skipped (something they depend on did not complete)",
    }
    for outcome in ("failed", "timed_out", "skipped"):
        steps: Sequence[StepResult] = by_outcome[outcome]
        if steps:
            lines.append(f"{titles[outcome]}:")
            lines.extend(f"  {step.address}: {step.message}" for step in steps)
            lines.append("")
    if report.verifications:
        lines += [render_verifications(report.verifications), ""]
    counts = report.summary()
    verdict = "Apply complete!" if report.succeeded else "Apply incomplete."
    if not report.verified:
        failed = sum(1 for v in report.verifications if not v.passed)
        verdict = (
            f"Apply done, but verification FAILED on {failed} capacit{'ies' if failed != 1 else 'y'} "
            "(nothing was rolled back)."
        )
    if report.interrupted:
        verdict = "Apply interrupted; run apply again to finish."
    lines.append(
        f"{verdict} {counts['done']} done, {counts['failed']} failed, {counts['skipped']} skipped, "
        f"{counts['timed_out']} still running."
    )
    return "\n".join(lines)
