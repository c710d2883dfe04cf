"""The apply lock: one apply at a time per estate, with an owner, a time and a reason.

A DynamoDB item written with a conditional put (atomic: of two applies racing, exactly one write succeeds),
holding a lease that the holder renews while it runs. A holder that crashed stops renewing, so its lock
expires by itself after at most one lease; a human can break it at once with `force-unlock LOCK_ID`.
The sandbox answers the same DynamoDB calls, so tests and the demo run this very code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.clients import AwsClients
from reconciler.core.shards import Shard
from reconciler.errors import ReconcilerError
from reconciler.manifests.model import Backend

DEFAULT_TABLE = "bedrock-gitops-locks"
DEFAULT_REGION = "us-east-1"
DEFAULT_LOCK_KEY = "bedrock-gitops"
DEFAULT_LEASE_SECONDS = 600
# How often an apply waiting for the lock (--lock-timeout) looks again, and says it still waits.
LOCK_RETRY_SECONDS = 10.0
KEY_ATTRIBUTE = "LockKey"
CREATE_TABLE_HINT = (
    "aws dynamodb create-table --table-name {table} --region {region} "
    f"--attribute-definitions AttributeName={KEY_ATTRIBUTE},AttributeType=S "
    f"--key-schema AttributeName={KEY_ATTRIBUTE},KeyType=HASH --billing-mode PAY_PER_REQUEST"
)


@dataclass(frozen=True, slots=True)
class LockSettings:
    table: str = DEFAULT_TABLE
    region: str = DEFAULT_REGION
    # The account holding the table; None: the base credentials' own account (the CI's tooling account).
    account: str | None = None
    key: str = DEFAULT_LOCK_KEY
    lease_seconds: int = DEFAULT_LEASE_SECONDS


@dataclass(frozen=True, slots=True)
class LockInfo:
    lock_id: str
    owner: str
    reason: str
    acquired_at: str
    expires_at: float  # epoch seconds

    def describe(self) -> str:
        expiry = datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"lock {self.lock_id} held by {self.owner} since {self.acquired_at} "
            f"(reason: {self.reason or 'none given'}; lease expires {expiry} unless renewed)"
        )


class LockHeldError(ReconcilerError):
    def __init__(self, holder: LockInfo) -> None:
        self.holder = holder
        super().__init__(
            f"another apply is running: {holder.describe()}.\n"
            "Wait for it to finish. If its process died, the lock frees itself when the lease expires, or "
            f"break it now with: bedrock-gitops force-unlock {holder.lock_id}"
        )


def estate_lock(clients: AwsClients, backend: Backend, shard: Shard | None = None) -> DynamoDbLock:
    """The lock the manifests' Backend declares, reached with `clients` (its account: the declared one, or
    the base credentials'); with `shard`, that shard's own lock (key `<key>/shard-K-of-N`) in the same
    table, so that the shards of one apply run side by side."""
    settings = settings_from(backend)
    if shard is not None:
        settings = dataclasses.replace(settings, key=shard_lock_key(settings.key, shard))
    account = settings.account or clients.base_account(settings.region)
    return DynamoDbLock(clients.client("dynamodb", account, settings.region), settings)


def shard_lock_key(key: str, shard: Shard) -> str:
    return f"{key}/shard-{shard.index}-of-{shard.count}"


def settings_from(backend: Backend) -> LockSettings:
    return LockSettings(
        table=backend.lock_table,
        region=backend.lock_region,
        account=backend.lock_account,
        key=backend.lock_key,
        lease_seconds=backend.lease_seconds,
    )


def default_owner() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    run = os.environ.get("GITHUB_RUN_ID")
    where = f"GitHub Actions run {run}" if run else f"{socket.gethostname()} pid {os.getpid()}"
    return f"{user} on {where}"


class DynamoDbLock:
    def __init__(
        self,
        client: Any,
        settings: LockSettings,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.settings = settings
        self._wall_clock = wall_clock

    def acquire(self, reason: str, owner: str | None = None) -> LockInfo:
        now = self._wall_clock()
        info = LockInfo(
            lock_id=str(uuid.uuid4()),
            owner=owner or default_owner(),
            reason=reason,
            acquired_at=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            expires_at=round(now + self.settings.lease_seconds, 3),
        )
        try:
            self._call(
                "put_item",
                Item=self._item(info),
                # Free, or held by a lease that ran out: a crashed holder never blocks forever.
                ConditionExpression="attribute_not_exists(#key) OR #expires < :now",
                ExpressionAttributeNames={"#key": KEY_ATTRIBUTE, "#expires": "ExpiresAt"},
                ExpressionAttributeValues={":now": {"N": _number(now)}},
            )
        except _ConditionFailedError:
            holder = self.current()
            if holder is None:  # released between our put and our read: try once more
                return self.acquire(reason, owner)
            raise LockHeldError(holder) from None
        return info

    def renew(self, info: LockInfo) -> LockInfo:
        """Extend the lease; ReconcilerError if the lock is no longer ours (force-unlocked)."""
        expires = round(self._wall_clock() + self.settings.lease_seconds, 3)
        try:
            self._call(
                "update_item",
                Key=self._key(),
                UpdateExpression="SET #expires = :expires",
                ConditionExpression="#id = :id",
                ExpressionAttributeNames={"#expires": "ExpiresAt", "#id": "LockId"},
                ExpressionAttributeValues={":expires": {"N": _number(expires)}, ":id": {"S": info.lock_id}},
            )
        except _ConditionFailedError:
            raise ReconcilerError(f"lock {info.lock_id} was taken away (force-unlock?)") from None
        return LockInfo(info.lock_id, info.owner, info.reason, info.acquired_at, expires)

    def release(self, info: LockInfo) -> None:
        # Already broken by force-unlock: nothing of ours is left to release.
        with contextlib.suppress(_ConditionFailedError):
            self._delete(info.lock_id)

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock if its id is `lock_id` (so a stale id cannot break someone else's new lock)."""
        holder = self.current()
        if holder is None:
            raise ReconcilerError("the estate is not locked; nothing to unlock")
        if holder.lock_id != lock_id:
            raise ReconcilerError(
                f"the lock id does not match: the estate is locked by {holder.describe()}. "
                "Check that this is the apply you mean to break, then pass its id."
            )
        try:
            self._delete(lock_id)
        except _ConditionFailedError:
            raise ReconcilerError(f"lock {lock_id} changed while unlocking; look again") from None
        return holder

    def current(self) -> LockInfo | None:
        item = self._call("get_item", Key=self._key(), ConsistentRead=True).get("Item")
        if not item:
            return None
        return LockInfo(
            lock_id=item["LockId"]["S"],
            owner=item.get("Owner", {}).get("S", "?"),
            reason=item.get("Reason", {}).get("S", ""),
            acquired_at=item.get("AcquiredAt", {}).get("S", "?"),
            expires_at=float(item.get("ExpiresAt", {}).get("N", "0")),
        )

    def acquire_waiting(
        self,
        reason: str,
        owner: str | None = None,
        *,
        timeout: float = 0.0,
        on_wait: Callable[[LockInfo, float], None] = lambda _holder, _left: None,
        sleep: Callable[[float], None] = time.sleep,
        retry_seconds: float | None = None,
    ) -> LockInfo:
        """Acquire, waiting up to `timeout` seconds while another apply holds the lock (Terraform's
        -lock-timeout); `on_wait(holder, seconds_left)` before each wait. LockHeldError once time is up."""
        deadline = self._wall_clock() + timeout
        while True:
            try:
                return self.acquire(reason, owner)
            except LockHeldError as held:
                left = deadline - self._wall_clock()
                if left <= 0:
                    raise
                on_wait(held.holder, left)
                sleep(min(retry_seconds or LOCK_RETRY_SECONDS, left))

    @contextmanager
    def held(
        self,
        reason: str,
        owner: str | None = None,
        *,
        timeout: float = 0.0,
        on_wait: Callable[[LockInfo, float], None] = lambda _holder, _left: None,
    ) -> Iterator[LockInfo]:
        """Acquire (waiting up to `timeout`), keep the lease renewed from a background thread, release on
        the way out."""
        info = self.acquire_waiting(reason, owner, timeout=timeout, on_wait=on_wait)
        stop = threading.Event()
        keeper = threading.Thread(target=self._keep, args=(info, stop), daemon=True, name="lock-lease")
        keeper.start()
        try:
            yield info
        finally:
            stop.set()
            keeper.join()
            self.release(info)

    def _keep(self, info: LockInfo, stop: threading.Event) -> None:
        while not stop.wait(self.settings.lease_seconds / 3):
            try:
                info = self.renew(info)
            except (ReconcilerError, ClientError, BotoCoreError) as error:
                print(f"Warning: could not renew the apply lock: {error}", file=sys.stderr)

    def _delete(self, lock_id: str) -> None:
        self._call(
            "delete_item",
            Key=self._key(),
            ConditionExpression="#id = :id",
            ExpressionAttributeNames={"#id": "LockId"},
            ExpressionAttributeValues={":id": {"S": lock_id}},
        )

    def _key(self) -> dict[str, dict[str, str]]:
        return {KEY_ATTRIBUTE: {"S": self.settings.key}}

    def _item(self, info: LockInfo) -> dict[str, dict[str, str]]:
        return {
            **self._key(),
            "LockId": {"S": info.lock_id},
            "Owner": {"S": info.owner},
            "Reason": {"S": info.reason},
            "AcquiredAt": {"S": info.acquired_at},
            "ExpiresAt": {"N": _number(info.expires_at)},
        }

    def _call(self, method: str, **params: Any) -> Any:
        settings = self.settings
        try:
            return getattr(self._client, method)(TableName=settings.table, **params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailedError from None
            if code == "ResourceNotFoundException":
                raise ReconcilerError(
                    f"the lock table {settings.table} does not exist in Region {settings.region}"
                    f"{' of account ' + settings.account if settings.account else ''}. Create it with:\n  "
                    + CREATE_TABLE_HINT.format(table=settings.table, region=settings.region)
                ) from None
            message = error.response.get("Error", {}).get("Message", str(error))
            raise ReconcilerError(
                f"the apply lock (DynamoDB table {settings.table}): {code}: {message}"
            ) from None
        except BotoCoreError as error:
            raise ReconcilerError(f"the apply lock (DynamoDB table {settings.table}): {error}") from None


class _ConditionFailedError(Exception):
    pass


def _number(value: float) -> str:
    return f"{value:.3f}"
