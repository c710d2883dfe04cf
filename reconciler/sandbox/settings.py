"""The sandbox's tunable behaviour and injected faults, kept in the state document under "settings"."""

from __future__ import annotations

from typing import Any

# Every setting, with its default. `bedrock-gitops sandbox set KEY=VALUE` changes them; tests too.
DEFAULT_SETTINGS: dict[str, Any] = {
    # Real seconds slept per simulated API call (Bedrock and RAM), e.g. 0.05 for 50 ms.
    "latency_seconds": 0.0,
    # Fraction (0..1) of Bedrock/RAM calls answered with ThrottlingException.
    "throttle_rate": 0.0,
    # Accounts whose Bedrock/RAM endpoints cannot be reached (connection refused).
    "unreachable_accounts": [],
    # "<account>/<region>" targets where every new copy job ends Failed.
    "failing_copy_targets": [],
    # Organization with RAM sharing enabled: shares to member accounts are auto-accepted. False: invitations
    # stay PENDING until the recipient accepts them.
    "org_sharing_enabled": True,
    # Simulated durations.
    "copy_job_seconds": 1200,
    "throughput_seconds": 600,
    "deployment_seconds": 300,
    # Simulated seconds per real second (the clock also moves between CLI invocations). 0 freezes time;
    # tests use a frozen clock and advance it explicitly.
    "time_scale": 120.0,
}
