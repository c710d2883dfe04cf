"""The live state's fingerprint (saved plans record it to refuse a plan when AWS changed since): equal for
equal states whatever the order of their sets and tags, different when any value differs."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.live import LiveShare, LiveState, LiveThroughput, Scope, ScopeState

ACCOUNT, REGION = "111122223333", "us-east-1"


def _share(principals: list[str], tags: dict[str, str]) -> LiveShare:
    return LiveShare(
        arn=f"arn:aws:ram:{REGION}:{ACCOUNT}:resource-share/s1",
        name="s1",
        owner_account=ACCOUNT,
        status="ACTIVE",
        allow_external_principals=False,
        tags=tags,
        resource_arns=frozenset({"arn:a", "arn:b"}),
        principals=frozenset(principals),
    )


def _throughput(units: int, commitment: str | None) -> LiveThroughput:
    return LiveThroughput(
        arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/p1",
        name="p1",
        model_arn="arn:m",
        desired_model_arn="arn:m",
        foundation_model_arn="arn:f",
        model_units=units,
        desired_model_units=units,
        status="InService",
        commitment=commitment,
        commitment_expiration=None,
        creation_time="2026-11-01T10:00:00Z",
    )


def _state(principals: list[str], tags: dict[str, str], units: int, commitment: str | None) -> LiveState:
    scope = ScopeState(
        ACCOUNT, REGION, shares=(_share(principals, tags),), throughputs=(_throughput(units, commitment),)
    )
    return LiveState({Scope(ACCOUNT, REGION): scope}, {"arn:x": dict(tags)})


PRINCIPALS = st.lists(st.sampled_from(["222233334444", "333344445555", "444455556666"]), unique=True)
TAGS = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2"]))


@given(PRINCIPALS, TAGS, st.randoms())
def test_order_does_not_change_the_fingerprint(
    principals: list[str], tags: dict[str, str], shuffle: object
) -> None:
    reordered_principals = list(reversed(principals))
    reordered_tags = dict(reversed(list(tags.items())))
    assert (
        _state(principals, tags, 1, None).fingerprint()
        == _state(reordered_principals, reordered_tags, 1, None).fingerprint()
    )


@given(PRINCIPALS, TAGS, PRINCIPALS, TAGS, st.integers(1, 3), st.sampled_from([None, "OneMonth"]))
def test_any_difference_changes_the_fingerprint(
    principals: list[str],
    tags: dict[str, str],
    other_principals: list[str],
    other_tags: dict[str, str],
    units: int,
    commitment: str | None,
) -> None:
    first = _state(principals, tags, 1, None)
    second = _state(other_principals, other_tags, units, commitment)
    same = (set(principals), tags, 1, None) == (set(other_principals), other_tags, units, commitment)
    assert (first.fingerprint() == second.fingerprint()) == same


def test_a_scope_read_empty_differs_from_none_read() -> None:
    empty = LiveState({Scope(ACCOUNT, REGION): ScopeState(ACCOUNT, REGION)})
    assert empty.fingerprint() != LiveState({}).fingerprint()
    renamed = dataclasses.replace(_throughput(1, None), name="p2")
    with_renamed = LiveState({Scope(ACCOUNT, REGION): ScopeState(ACCOUNT, REGION, throughputs=(renamed,))})
    with_original = LiveState(
        {Scope(ACCOUNT, REGION): ScopeState(ACCOUNT, REGION, throughputs=(_throughput(1, None),))}
    )
    assert with_renamed.fingerprint() != with_original.fingerprint()


def test_the_fingerprint_of_a_given_state_is_fixed() -> None:
    # Saved plans are checked against it on another machine: the canonical form (marshal's version-2
    # bytes) must not move with the Python version, or every saved plan would read as stale.
    state = _state(["333344445555", "222233334444"], {"b": "2", "a": "1"}, 2, "OneMonth")
    assert state.fingerprint() == "930596a807606a9cd073a47f9042a87bfe08a95066f1156d7473d7b717eb56f0"
