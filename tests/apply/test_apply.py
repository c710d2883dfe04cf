"""apply through its Python API on the sandbox's simulated clock: convergence, resumability after a crash at
every step boundary, partial failure, timeouts, version bumps and pruning."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import ApplyRequest, apply
from reconciler.aws import executor
from reconciler.aws.executor import ExecutionOptions
from reconciler.core.plan import Action
from reconciler.core.planfile import save_plan
from reconciler.errors import ReconcilerError
from reconciler.pipeline import make_plan
from reconciler.sandbox.api import Call
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.ram_common import invite
from tests.apply.support import SOAK_SECONDS, Estate, duplicates, make_estate

EXPECTED_AFTER_CONVERGENCE = 10
# Not a timing assertion: ends a wait that only a broken copy start could make endless.
HANG_GUARD_SECONDS = 900.0


@pytest.fixture
def estate(tmp_path: Path) -> Estate:
    return make_estate(tmp_path)


def replan(estate: Estate) -> int:
    return len(make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir).plan.actions)


def test_apply_converges_and_a_second_plan_has_no_changes(estate: Estate) -> None:
    result = estate.apply()
    assert result.report is not None
    assert result.report.succeeded
    assert len(result.report.steps) == EXPECTED_AFTER_CONVERGENCE
    assert replan(estate) == 0
    assert duplicates(estate.resources()) == {}
    # The hand-made throughput in staging is still there, untouched.
    staging = estate.state()["bedrock"]["444455556666/us-east-1"]["throughputs"]
    assert [t["name"] for t in staging.values()].count("manual-experiment") == 1


def test_a_saved_plan_is_applied_exactly(estate: Estate, tmp_path: Path) -> None:
    plan = make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir).plan
    planfile = tmp_path / "changes.tfplan"
    save_plan(plan, planfile)
    result = estate.apply(planfile)
    assert result.report is not None
    assert [s.address for s in result.report.steps] == [a.address for a in plan.actions]
    assert (tmp_path / "changes.tfplan.report.json").is_file()


class Crash(BaseException):
    """Stands in for the process dying between two steps."""


@pytest.mark.parametrize("crash_before", range(EXPECTED_AFTER_CONVERGENCE))
def test_a_crash_before_any_step_then_reapply_converges_without_duplicates(
    estate: Estate, crash_before: int
) -> None:
    started: list[str] = []

    def crash(action: Action) -> None:
        if len(started) == crash_before:
            raise Crash(action.address)
        started.append(action.address)

    with pytest.raises(Crash):
        estate.apply(before_step=crash)
    result = estate.apply()
    assert result.report is None or result.report.succeeded
    assert replan(estate) == 0
    assert duplicates(estate.resources()) == {}


def test_a_failed_copy_skips_only_what_depends_on_it(estate: Estate) -> None:
    estate.settings(failing_copy_targets=["777788889999/us-east-1"])
    result = estate.apply()
    report = result.report
    assert report is not None
    outcomes = {step.address: step.outcome for step in report.steps}
    assert outcomes["prod/us-east-1/financial-analyst/copy"] == "failed"
    assert outcomes["prod/us-east-1/financial-analyst/throughput"] == "skipped"
    assert {address for address, outcome in outcomes.items() if outcome != "done"} == {
        "prod/us-east-1/financial-analyst/copy",
        "prod/us-east-1/financial-analyst/throughput",
    }
    skipped = next(s for s in report.steps if s.outcome == "skipped")
    assert "prod/us-east-1/financial-analyst/copy failed" in skipped.message
    failed = next(s for s in report.steps if s.outcome == "failed")
    assert "failed" in failed.message
    assert failed.outputs["jobArn"].startswith("arn:aws:bedrock:us-east-1:777788889999:model-copy-job/")
    # Once the cause is gone, the next apply makes a new copy job (a new token) and converges.
    estate.settings(failing_copy_targets=[])
    retried = estate.apply()
    assert retried.report is not None
    assert retried.report.succeeded
    assert [s.address for s in retried.report.steps] == [
        "prod/us-east-1/financial-analyst/copy",
        "prod/us-east-1/financial-analyst/throughput",
    ]
    assert replan(estate) == 0


def test_a_failed_throughput_fails_its_step_and_the_next_apply_converges(estate: Estate) -> None:
    estate.settings(failing_throughput_targets=["777788889999/us-east-1"])  # the sandbox fault setting
    report = estate.apply().report
    assert report is not None
    failed = [(s.address, s.outcome) for s in report.steps if s.outcome != "done"]
    assert failed == [("prod/us-east-1/financial-analyst/throughput", "failed")]
    estate.settings(failing_throughput_targets=[])
    retried = estate.apply().report
    assert retried is not None
    assert retried.succeeded
    assert replan(estate) == 0


def test_timeout_leaves_jobs_running_and_the_next_apply_waits_for_them(estate: Estate) -> None:
    result = estate.apply(timeout=120)  # simulated seconds; copy jobs take 1200
    report = result.report
    assert report is not None
    assert not report.succeeded
    copies = [s for s in report.steps if s.address.endswith("/copy")]
    assert {s.outcome for s in copies} == {"timed_out"}
    assert all("still InProgress" in s.message for s in copies)
    throughputs = [s for s in report.steps if s.address.endswith("/throughput")]
    assert {s.outcome for s in throughputs} == {"skipped"}
    before = estate.resources()
    resumed = estate.apply()
    assert resumed.report is not None
    assert resumed.report.succeeded
    waits = [s for s in resumed.report.steps if s.operation == "GetModelCopyJob"]
    assert len(waits) == len(copies)  # waited on, not started again
    assert all(k not in before or before[k] == v for k, v in estate.resources().items() if "copy-job" in k)
    assert duplicates(estate.resources()) == {}


def test_version_bump_repoints_throughput_in_place(estate: Estate) -> None:
    estate.apply()
    prod_throughputs = estate.state()["bedrock"]["777788889999/us-east-1"]["throughputs"]
    (arn,) = prod_throughputs
    estate.advance(SOAK_SECONDS)  # staging has served v2, verified, for prod's soak time
    estate.edit("environments/prod.yaml", "version: v1", "version: v2")
    statuses: list[str] = []

    def watch(_action: Action) -> None:
        throughput = estate.state()["bedrock"]["777788889999/us-east-1"]["throughputs"].get(arn)
        statuses.append(throughput["status"] if throughput else "missing")

    result = estate.apply(before_step=watch)
    report = result.report
    assert report is not None
    assert report.succeeded
    operations = [call.operation for step in report.steps for call in step.calls]
    assert "UpdateProvisionedModelThroughput" in operations
    assert not [op for op in operations if op.startswith("Delete")]
    assert "missing" not in statuses
    after = estate.state()["bedrock"]["777788889999/us-east-1"]
    assert list(after["throughputs"]) == [arn]
    served = after["throughputs"][arn]["model_arn"]
    assert after["models"][served]["name"] == "financial-analyst-v2"
    assert replan(estate) == 0


def test_prune_removes_only_managed_resources_and_never_a_committed_throughput(estate: Estate) -> None:
    estate.apply()
    # Drop support-summarizer from staging (on-demand, managed) and financial-analyst from prod (committed).
    staging = estate.root / "environments" / "staging.yaml"
    text = staging.read_text()
    start = text.index("    - name: support-summarizer")
    staging.write_text(text[:start].rstrip() + "\n")
    prod = estate.root / "environments" / "prod.yaml"
    prod_text = prod.read_text()
    # prod is protected: a removal there needs the explicit override.
    allowed = "111122223333/us-east-1/share/bedrock-gitops-financial-analyst-v1/principal/777788889999"
    override = f"    protected: true\n    allowRemovals: [{allowed}]"
    prod_text = prod_text.replace("    protected: true", override)
    prod.write_text(prod_text[: prod_text.index("  models:")] + "  models: []\n")
    plan = make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir, prune=True).plan
    assert any("commit" in removal.blocked_by for removal in plan.removals)
    result = estate.apply(prune=True)
    report = result.report
    assert report is not None
    assert report.succeeded, [(s.address, s.message) for s in report.steps if s.outcome != "done"]
    deleted = [
        call.request for step in report.steps for call in step.calls if call.operation.startswith("Delete")
    ]
    assert deleted, "the staging deployment should have been removed"
    state = estate.state()
    assert estate.resources()["throughput 444455556666/us-east-1 manual-experiment"] == 1
    prod_east = state["bedrock"]["777788889999/us-east-1"]["throughputs"]
    assert len(prod_east) == 1  # committed: kept
    assert state["bedrock"]["444455556666/us-east-1"]["deployments"] == {}
    # support-summarizer v1 ran only in staging: its last principal left, so the share itself is deleted.
    shares = {share["name"]: share["status"] for share in state["ram"]["shares"].values()}
    assert shares["bedrock-gitops-support-summarizer-v1"] == "DELETED"
    assert shares["bedrock-gitops-financial-analyst-v2"] == "ACTIVE"  # staging still runs v2
    operations = [call.operation for step in report.steps for call in step.calls]
    assert operations.index("DisassociateResourceShare") < operations.index("DeleteResourceShare")


def test_without_organization_sharing_nothing_is_applied_and_a_pending_invitation_is_accepted(
    estate: Estate,
) -> None:
    # RAM refuses to share custom models until sharing with the organization is enabled: apply stops at
    # its plan's preflight error, before any write.
    estate.settings(org_sharing_enabled=False)
    before = estate.state()
    with pytest.raises(ReconcilerError, match=r"preflight/ram-sharing"):
        estate.apply()
    assert (estate.state()["bedrock"], estate.state()["ram"]) == (before["bedrock"], before["ram"])
    # With sharing enabled it converges; a pending invitation of one of our shares (one RAM sent before
    # sharing was enabled, put in the state here) is accepted by the next apply.
    estate.settings(org_sharing_enabled=True)
    first = estate.apply()
    assert first.report is not None
    assert first.report.succeeded
    with SandboxEstate.open(estate.sandbox_dir) as sandbox:
        now = sandbox.now()
        with sandbox.store.locked(write=True) as state:
            share_arn, share = next(
                (arn, share)
                for arn, share in state["ram"]["shares"].items()
                if share["name"] == "bedrock-gitops-financial-analyst-v1" and share["status"] == "ACTIVE"
            )
            call = Call("ram", "CreateResourceShare", share["owner"], share["region"], {}, state, now)
            invite(call, share_arn, share, "777788889999")
    assert replan(estate) == 1
    second = estate.apply()
    assert second.report is not None
    assert second.report.succeeded
    accepted = [
        call.account
        for step in second.report.steps
        for call in step.calls
        if call.operation == "AcceptResourceShareInvitation"
    ]
    assert accepted == ["777788889999"]
    invitations = estate.state()["ram"]["invitations"].values()
    assert {invitation["status"] for invitation in invitations} == {"ACCEPTED"}
    assert replan(estate) == 0


def test_ctrl_c_stops_the_waits_reports_and_frees_the_lock(estate: Estate) -> None:
    started: list[str] = []

    def interrupt(action: Action) -> None:
        started.append(action.address)
        if action.operation == "CreateModelCopyJob" and len(started) > 6:
            raise KeyboardInterrupt

    result = estate.apply(before_step=interrupt)
    report = result.report
    assert report is not None
    assert report.interrupted
    assert not report.succeeded
    assert any(step.message == "not started: the apply was interrupted" for step in report.steps)
    # The lock was released and nothing is duplicated by the next run.
    resumed = estate.apply()
    assert resumed.report is not None
    assert resumed.report.succeeded
    assert duplicates(estate.resources()) == {}
    assert replan(estate) == 0


class _TrackedSlots(threading.Semaphore):
    """The executor's call slots, knowing which threads hold one."""

    holders: set[int]

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        acquired = super().acquire(blocking, timeout)
        if acquired:
            self.holders.add(threading.get_ident())
        return acquired

    def release(self, n: int = 1) -> None:
        self.holders.discard(threading.get_ident())
        super().release(n)

    # threading.Semaphore binds `with` to its own acquire/release, not to a subclass's.
    def __enter__(self, blocking: bool = True, timeout: float | None = None) -> bool:
        return self.acquire(blocking, timeout)

    def __exit__(self, *exc: object) -> None:
        self.release()


class _ThreadingWithTrackedSlots:
    """The `threading` module as reconciler.aws.executor sees it, its Semaphore tracked."""

    def __init__(self, slots: list[_TrackedSlots]) -> None:
        self._slots = slots

    def Semaphore(self, value: int = 1) -> _TrackedSlots:
        slots = _TrackedSlots(value)
        slots.holders = set()
        self._slots.append(slots)
        return slots

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


def test_waiting_takes_no_call_slot_so_many_copies_wait_together(
    estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one AWS call at a time, the copy jobs still run at once: waiting holds no slot.

    Independent of CPU load: the simulated clock is frozen (time_scale 0) and moves only when a step waits,
    and a wait that holds no call slot lets simulated time move only once every copy job has started; a
    wait that holds the slot (the defect) lets it move at once, so its job finishes before the next starts.
    """
    slots: list[_TrackedSlots] = []
    monkeypatch.setattr(executor, "threading", _ThreadingWithTrackedSlots(slots))
    plan = make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir).plan
    copies = sum(1 for action in plan.actions if action.operation == "CreateModelCopyJob")
    assert copies >= 2

    def copy_jobs(status: str | None = None) -> int:
        return sum(
            1
            for scope in estate.state()["bedrock"].values()
            for job in scope["copy_jobs"].values()
            if status is None or job["status"] == status
        )

    before = copy_jobs()
    in_progress: list[int] = []
    gate_opened_by_a_slot_holder: list[bool] = []
    not_started: list[int] = []

    class GatedClock(SandboxClock):
        def sleep(self, seconds: float) -> None:
            holds_a_slot = threading.get_ident() in slots[0].holders
            if not holds_a_slot:
                # The other copy steps can start their jobs meanwhile (no slot is held here); real time
                # spent waiting for them changes nothing simulated, however loaded the machine. The bound
                # only keeps a broken start from hanging the suite.
                give_up = time.monotonic() + HANG_GUARD_SECONDS
                while copy_jobs() - before < copies:
                    if time.monotonic() > give_up:
                        not_started.append(copies - (copy_jobs() - before))
                        break
                    time.sleep(0.05)
            gate_opened_by_a_slot_holder.append(holds_a_slot)
            in_progress.append(copy_jobs("InProgress"))
            super().sleep(seconds)

    request = ApplyRequest(
        root=estate.root,
        sandbox=True,
        sandbox_dir=estate.sandbox_dir,
        options=ExecutionOptions(max_workers=1, poll_seconds=300),
    )
    result = apply(request, confirm=lambda _plan: True, clock=GatedClock(estate.sandbox_dir))
    assert result.report is not None
    assert result.report.succeeded
    assert len(slots) == 1
    assert not not_started, f"{not_started[0]} copy jobs never started while the others waited"
    assert not any(gate_opened_by_a_slot_holder), "a step waited while holding the only call slot"
    # The first wait saw every copy job in flight together.
    assert in_progress[0] == copies
