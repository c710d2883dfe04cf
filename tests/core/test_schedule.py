"""The pure rules of an apply run: when an action may start, what blocks it, and "known after apply"."""

from __future__ import annotations

import pytest

from reconciler.core.plan import Action, Plan, Ref
from reconciler.core.schedule import (
    UnresolvedRefError,
    blocking_prerequisite,
    check_plan_graph,
    prerequisites,
    ready,
    resolve,
)
from reconciler.errors import ReconcilerError


def action(address: str, *, depends_on: tuple[str, ...] = (), **params: object) -> Action:
    return Action(
        address=address,
        change="create",
        service="bedrock",
        operation="CreateModelCopyJob",
        account="444455556666",
        region="us-east-1",
        params=params,
        reason="test",
        depends_on=depends_on,
    )


COPY = action("staging/us-east-1/m/copy", depends_on=("share/m/v1",))
THROUGHPUT = action(
    "staging/us-east-1/m/throughput", modelId=Ref("staging/us-east-1/m/copy", "targetModelArn")
)
PLANNED = ["share/m/v1", COPY.address, THROUGHPUT.address]


def test_prerequisites_include_the_producers_of_refs() -> None:
    assert prerequisites(THROUGHPUT) == {"staging/us-east-1/m/copy"}
    assert prerequisites(COPY) == {"share/m/v1"}


def test_an_action_is_ready_once_every_planned_prerequisite_is_done() -> None:
    assert not ready(COPY, {}, PLANNED)
    assert ready(COPY, {"share/m/v1": "done"}, PLANNED)
    # Not in the plan: converged before the plan was made.
    assert ready(COPY, {}, [COPY.address])


def test_a_prerequisite_that_did_not_finish_blocks_its_dependents() -> None:
    assert blocking_prerequisite(THROUGHPUT, {COPY.address: "failed"}, PLANNED) == (COPY.address, "failed")
    assert blocking_prerequisite(THROUGHPUT, {COPY.address: "timed_out"}, PLANNED) == (
        COPY.address,
        "timed_out",
    )
    assert blocking_prerequisite(THROUGHPUT, {COPY.address: "done"}, PLANNED) is None
    assert blocking_prerequisite(THROUGHPUT, {}, PLANNED) is None


def test_refs_resolve_anywhere_in_a_request() -> None:
    outputs = {COPY.address: {"targetModelArn": "arn:copy"}}
    ref = Ref(COPY.address, "targetModelArn")
    assert resolve({"a": [ref, {"b": ref}], "c": 1}, outputs) == {
        "a": ["arn:copy", {"b": "arn:copy"}],
        "c": 1,
    }
    with pytest.raises(UnresolvedRefError, match="targetModelArn is not known"):
        resolve({"a": ref}, {})


def plan_of(*actions: Action) -> Plan:
    return Plan(actions=actions, removals=(), manifests_fingerprint="m", live_fingerprint="l", created_at="t")


def test_a_corrupt_plan_is_refused() -> None:
    check_plan_graph(plan_of(COPY, THROUGHPUT))
    with pytest.raises(ReconcilerError, match="more than one action for"):
        check_plan_graph(plan_of(COPY, COPY))
    with pytest.raises(ReconcilerError, match="which the plan does not produce"):
        check_plan_graph(plan_of(THROUGHPUT))
