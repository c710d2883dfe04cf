"""The order discovery reads scopes in: an account's Regions far enough apart that none waits for the
AssumeRole its first read makes, every scope read once."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from reconciler.aws.discovery import _accounts_apart
from reconciler.core.live import Scope

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")


def _estate(regions_per_account: list[int]) -> list[Scope]:
    return [
        Scope(f"{100000000000 + index:012d}", REGIONS[region])
        for index, count in enumerate(regions_per_account)
        for region in range(count)
    ]


def test_an_accounts_regions_are_a_full_round_of_workers_apart() -> None:
    scopes = _estate([4] * 200)
    order = _accounts_apart(scopes, 32)
    assert sorted(order) == sorted(scopes)
    assert len({scope.account for scope in order[:32]}) == 32, "the first reads are 32 accounts' first"
    positions: dict[str, list[int]] = {}
    for position, scope in enumerate(order):
        positions.setdefault(scope.account, []).append(position)
    gaps = [later - earlier for spots in positions.values() for earlier, later in pairwise(spots)]
    assert min(gaps) >= 32


@given(st.lists(st.integers(min_value=1, max_value=len(REGIONS)), max_size=60), st.integers(1, 40))
def test_every_scope_is_read_once_and_an_accounts_first_region_first(
    regions_per_account: list[int], workers: int
) -> None:
    scopes = _estate(regions_per_account)
    order = _accounts_apart(scopes, workers)
    assert sorted(order) == sorted(scopes)
    for account in {scope.account for scope in scopes}:
        mine = [scope for scope in order if scope.account == account]
        assert mine == sorted(mine)
