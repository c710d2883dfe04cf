"""Throttling per account and Region, shared by every process that uses one sandbox.

AWS applies its request quotas per account and Region ("Unless otherwise noted, each quota is
Region-specific": "AWS service quotas", https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html;
Bedrock's are listed per Region in "Amazon Bedrock endpoints and quotas",
https://docs.aws.amazon.com/general/latest/gr/bedrock.html). So the `throttle_requests_per_second` setting is
a token bucket per "<account>/<region>", refilled at that rate and holding one second of requests (at least
one), in real seconds (a request rate, not simulated time). The buckets live in a file beside the state
document, under its own lock, so two CLI runs against one account-Region draw from the same quota, as on AWS.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from pathlib import Path


class RequestBuckets:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "throttle.json"
        self._lock_path = directory / "throttle.lock"

    def take(self, scope: str, rate: float) -> bool:
        """Whether a request of `scope` ("<account>/<region>") may go now at `rate` requests per second."""
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                buckets: dict[str, list[float]] = (
                    json.loads(self.path.read_text()) if self.path.exists() else {}
                )
                now = time.time()
                capacity = max(1.0, rate)
                tokens, last = buckets.get(scope, [capacity, now])
                tokens = min(capacity, tokens + max(0.0, now - last) * rate)
                allowed = tokens >= 1.0
                buckets[scope] = [tokens - 1.0 if allowed else tokens, now]
                self._save(buckets)
                return allowed
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, buckets: dict[str, list[float]]) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".throttle.", suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(buckets, stream)
        os.replace(temporary, self.path)
