"""Apply on merge: which plan (if any) the merged commit may apply, decided from the reviewed plan."""

from __future__ import annotations

import dataclasses

from reconciler.ci.verify import MAX_DIFFERENCES_SHOWN, verify, verify_covered
from reconciler.core.findings import Finding
from tests.gitops.plans import copy_action, make_plan, throughput_action

REVIEWED = make_plan((copy_action("prod", "us-east-1", "fa"), throughput_action("prod", "us-east-1", "fa")))


def test_the_reviewed_plan_is_applied_when_nothing_changed() -> None:
    assert verify(REVIEWED, REVIEWED).decision == "apply-reviewed"


def test_a_fresh_plan_with_exactly_the_reviewed_requests_is_applied() -> None:
    fresh = dataclasses.replace(REVIEWED, manifests_fingerprint="c" * 64, created_at="later")
    fresh = dataclasses.replace(
        fresh, actions=tuple(dataclasses.replace(a, reason="reworded") for a in fresh.actions)
    )
    verdict = verify(REVIEWED, fresh)
    assert verdict.decision == "apply-fresh"
    assert "the manifests changed" in verdict.reason


def test_a_different_request_stops_and_names_it() -> None:
    fresh = make_plan(
        (copy_action("prod", "us-east-1", "fa"), throughput_action("prod", "us-east-1", "fa", 2))
    )
    fresh = dataclasses.replace(fresh, live_fingerprint="d" * 64)
    verdict = verify(REVIEWED, fresh)
    assert verdict.decision == "stop"
    assert verdict.differences == ("~ prod/us-east-1/fa/throughput: differs (params.modelUnits: 1 -> 2)",)


def test_added_and_removed_actions_stop() -> None:
    fresh = dataclasses.replace(
        make_plan((throughput_action("prod", "us-west-2", "fa"),)), live_fingerprint="d" * 64
    )
    verdict = verify(REVIEWED, fresh)
    assert verdict.decision == "stop"
    assert [line[:1] for line in verdict.differences] == ["-", "-", "+"]


def test_a_plan_blocked_by_a_policy_error_is_never_applied() -> None:
    error = Finding("maxModelUnits", "error", "too many", "lower it", "environments/prod.yaml", 3, 4)
    blocked = dataclasses.replace(REVIEWED, findings=(error,))
    assert verify(blocked, blocked).decision == "stop"


def test_a_long_list_of_differences_is_cut_and_says_how_many_more() -> None:
    many = make_plan(
        tuple(throughput_action(f"env{n}", "us-east-1", "fa") for n in range(MAX_DIFFERENCES_SHOWN + 5))
    )
    fresh = dataclasses.replace(many, live_fingerprint="d" * 64)
    for verdict in (verify(REVIEWED, fresh), verify_covered([(31, REVIEWED), (33, REVIEWED)], fresh)):
        assert verdict.decision == "stop"
        assert len(verdict.differences) == MAX_DIFFERENCES_SHOWN + 1
        assert verdict.differences[-1] == "... and 7 more"  # 35 added and REVIEWED's 2 gone
        assert f"({MAX_DIFFERENCES_SHOWN + 7} action(s) differ)" in verdict.reason
