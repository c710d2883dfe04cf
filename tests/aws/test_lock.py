"""The apply lock against the sandbox's DynamoDB: atomic acquisition, lease expiry, renewal, release and
force-unlock, and clear errors when the table is missing."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.aws.lock import DynamoDbLock, LockHeldError, LockSettings
from reconciler.errors import ReconcilerError
from reconciler.sandbox.estate import SandboxEstate


class FakeWallClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamodb(sandbox: SandboxEstate) -> Any:
    return sandbox.session().client("dynamodb", region_name="us-east-1")


def test_only_one_holder_at_a_time(dynamodb: Any) -> None:
    first = DynamoDbLock(dynamodb, LockSettings())
    second = DynamoDbLock(dynamodb, LockSettings())
    held = first.acquire("first", owner="alice")
    with pytest.raises(LockHeldError) as refused:
        second.acquire("second", owner="bob")
    assert refused.value.holder.lock_id == held.lock_id
    assert "held by alice" in str(refused.value)
    first.release(held)
    assert second.acquire("second", owner="bob").owner == "bob"


def test_an_expired_lease_is_taken_over_and_renewal_keeps_it(dynamodb: Any) -> None:
    clock = FakeWallClock()
    settings = LockSettings(lease_seconds=600)
    crashed = DynamoDbLock(dynamodb, settings, wall_clock=clock)
    held = crashed.acquire("will crash")
    clock.now += 300
    held = crashed.renew(held)  # still alive: the lease moves on
    clock.now += 500
    with pytest.raises(LockHeldError):
        DynamoDbLock(dynamodb, settings, wall_clock=clock).acquire("too early")
    clock.now += 200  # 700 s after the last renewal: expired
    taken = DynamoDbLock(dynamodb, settings, wall_clock=clock).acquire("next apply")
    assert taken.lock_id != held.lock_id
    with pytest.raises(ReconcilerError, match="taken away"):
        crashed.renew(held)
    crashed.release(held)  # a no-op: the lock is someone else's now
    assert DynamoDbLock(dynamodb, settings).current() == taken


def test_force_unlock_needs_the_right_id(dynamodb: Any) -> None:
    lock = DynamoDbLock(dynamodb, LockSettings())
    held = lock.acquire("stuck")
    with pytest.raises(ReconcilerError, match="does not match"):
        lock.force_unlock("0000")
    assert lock.force_unlock(held.lock_id) == held
    assert lock.current() is None
    with pytest.raises(ReconcilerError, match="not locked"):
        lock.force_unlock(held.lock_id)


def test_estates_with_different_keys_do_not_block_each_other(dynamodb: Any) -> None:
    DynamoDbLock(dynamodb, LockSettings(key="estate-a")).acquire("a")
    DynamoDbLock(dynamodb, LockSettings(key="estate-b")).acquire("b")


def test_a_missing_table_says_how_to_create_it(dynamodb: Any) -> None:
    lock = DynamoDbLock(dynamodb, LockSettings(table="no-such-table"))
    with pytest.raises(ReconcilerError) as missing:
        lock.acquire("x")
    assert "the lock table no-such-table does not exist" in str(missing.value)
    assert "aws dynamodb create-table --table-name no-such-table" in str(missing.value)


def test_held_renews_and_releases(dynamodb: Any) -> None:
    lock = DynamoDbLock(dynamodb, LockSettings(lease_seconds=60))
    with lock.held("context") as info:
        assert lock.current() == info
    assert lock.current() is None


def test_lock_timeout_waits_for_a_crashed_holders_lease_and_says_so(dynamodb: Any) -> None:
    clock = FakeWallClock()
    settings = LockSettings(lease_seconds=600)
    crashed = DynamoDbLock(dynamodb, settings, wall_clock=clock).acquire("crashed", owner="ci-run-1")
    waits: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        clock.now += seconds

    waiting = DynamoDbLock(dynamodb, settings, wall_clock=clock)
    taken = waiting.acquire_waiting(
        "ci-run-2",
        timeout=900,
        on_wait=lambda holder, left: waits.append((holder.lock_id, left)),
        sleep=sleep,
        retry_seconds=60,
    )
    assert taken.lock_id != crashed.lock_id
    # A look a minute until the 600 s lease has run out (at 660 s), each saying whose lock it waits for
    # and how long it still waits.
    assert [lock_id for lock_id, _ in waits] == [crashed.lock_id] * 11
    assert [left for _, left in waits[:2]] == [900, 840]


def test_lock_timeout_gives_up_with_the_holder_once_time_is_up(dynamodb: Any) -> None:
    clock = FakeWallClock()
    holder = DynamoDbLock(dynamodb, LockSettings(), wall_clock=clock).acquire("long apply", owner="alice")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        clock.now += seconds

    with pytest.raises(LockHeldError) as refused:
        DynamoDbLock(dynamodb, LockSettings(), wall_clock=clock).acquire_waiting(
            "next", timeout=25, on_wait=lambda _h, left: waits.append(left), sleep=sleep, retry_seconds=10
        )
    assert refused.value.holder.lock_id == holder.lock_id
    assert waits == [25, 15, 5]


def test_no_lock_timeout_fails_at_once(dynamodb: Any) -> None:
    DynamoDbLock(dynamodb, LockSettings()).acquire("first")

    def no_sleep(_seconds: float) -> None:
        raise AssertionError("waited without a --lock-timeout")

    with pytest.raises(LockHeldError):
        DynamoDbLock(dynamodb, LockSettings()).acquire_waiting("second", sleep=no_sleep)
