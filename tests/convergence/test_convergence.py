"""The convergence suite (issue 10): hypothesis explores lifecycles of the example estate on the sandbox
(manifest edits, out-of-band changes, faults) and checks after every apply that the estate converged and
stayed safe (see model.py). CI runs a bounded, derandomized profile; benchmarks/convergence.py runs long."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from botocore.retries.standard import ExponentialBackoff
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from tests.convergence.model import (
    CAPACITY_TYPES,
    COMMITMENTS,
    SEVEN_MONTHS,
    VERSIONS,
    Lifecycle,
)

INDEX = st.integers(min_value=0, max_value=11)
FAULTS = st.sampled_from(
    ["crash", "time", "throttle", "unreachable", "org-sharing-off", "failing-copy", "status-reads"]
)


class LifecycleMachine(RuleBasedStateMachine):
    """Each rule is one transition; `apply` rules check the invariants (model.Lifecycle.check_*)."""

    def __init__(self) -> None:
        super().__init__()
        self.workdir = Path(tempfile.mkdtemp(prefix="bedrock-gitops-convergence-"))
        self.life: Lifecycle | None = None

    @initialize()
    def converge_the_example(self) -> None:
        self.life = Lifecycle(self.workdir)
        self.life.apply_and_check(saved=False)

    @property
    def estate(self) -> Lifecycle:
        assert self.life is not None
        return self.life

    def teardown(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    # manifest edits
    @rule(index=INDEX)
    def switch_version(self, index: int) -> None:
        self.estate.switch_version(index)

    @rule(index=INDEX, units=st.integers(min_value=1, max_value=2))
    def resize(self, index: int, units: int) -> None:
        self.estate.resize(index, units)

    @rule(index=INDEX, commitment=st.sampled_from(COMMITMENTS))
    def change_commitment(self, index: int, commitment: str) -> None:
        self.estate.change_commitment(index, commitment)

    @rule(index=INDEX, kind=st.sampled_from(CAPACITY_TYPES))
    def switch_capacity(self, index: int, kind: str) -> None:
        self.estate.switch_capacity(index, kind)

    @rule(index=INDEX, model=st.sampled_from(sorted(VERSIONS)))
    def toggle_model(self, index: int, model: str) -> None:
        self.estate.toggle_model(index, model)

    @rule(index=INDEX)
    def toggle_region(self, index: int) -> None:
        self.estate.toggle_region(index)

    @rule()
    def toggle_environment(self) -> None:
        self.estate.toggle_environment()

    @rule(index=INDEX)
    def toggle_kms_key(self, index: int) -> None:
        self.estate.toggle_kms_key(index)

    @rule()
    def toggle_prune(self) -> None:
        self.estate.toggle_prune()

    # out-of-band changes
    @rule(kind=st.sampled_from(["model", "throughput", "deployment", "share"]), index=INDEX)
    def delete_out_of_band(self, kind: str, index: int) -> None:
        self.estate.delete_out_of_band(kind, index)

    @rule(index=INDEX)
    def retag_out_of_band(self, index: int) -> None:
        self.estate.retag_out_of_band(index)

    @rule(model=INDEX)
    def hand_made_deployment(self, model: int) -> None:
        self.estate.hand_made_deployment(0, model)

    @rule(seconds=st.sampled_from([600.0, 86400.0, SEVEN_MONTHS]))
    def advance_time(self, seconds: float) -> None:
        self.estate.advance_time(seconds)

    # applies
    @rule(saved=st.booleans())
    def apply(self, saved: bool) -> None:
        self.estate.apply_and_check(saved)

    @rule(
        fault=FAULTS,
        at_step=st.integers(min_value=0, max_value=12),
        seconds=st.sampled_from([900.0, SEVEN_MONTHS]),
    )
    def apply_with_fault(self, fault: str, at_step: int, seconds: float) -> None:
        self.estate.apply_with_fault(fault, at_step, seconds)


# Bounded for CI (fixed seed under HYPOTHESIS_PROFILE=ci): a few lifecycles of a handful of transitions.
LifecycleMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("CONVERGENCE_EXAMPLES", "3")),
    stateful_step_count=int(os.environ.get("CONVERGENCE_STEPS", "6")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's backoff under injected throttling, a hundred times shorter (the logic is what counts)."""
    original = ExponentialBackoff.delay_amount
    monkeypatch.setattr(
        ExponentialBackoff, "delay_amount", lambda self, context: original(self, context) / 100
    )


TestLifecycle = LifecycleMachine.TestCase
