"""The sandbox's tunable behaviour and injected faults, kept in the state document under "settings"."""

from __future__ import annotations

import math
import re
from typing import Any

# Every setting, with its default. `bedrock-gitops sandbox set KEY=VALUE` changes them; tests too.
DEFAULT_SETTINGS: dict[str, Any] = {
    # Real seconds slept per API call the sandbox answers (moto's too, e.g. STS), e.g. 0.05 for 50 ms.
    "latency_seconds": 0.0,
    # Fraction (0..1) of Bedrock/RAM calls answered with ThrottlingException.
    "throttle_rate": 0.0,
    # Bedrock/RAM requests per second allowed per account and Region, across every process using this
    # sandbox (throttling.py); beyond it, ThrottlingException. 0: no limit.
    "throttle_requests_per_second": 0.0,
    # Fraction (0..1) of Bedrock status reads (GetModelCopyJob, GetProvisionedModelThroughput,
    # GetCustomModelDeployment) that cannot reach the endpoint, as when an account is briefly unreachable.
    "status_read_fault_rate": 0.0,
    # Accounts whose Bedrock/RAM endpoints cannot be reached (connection refused).
    "unreachable_accounts": [],
    # "<account>/<region>" targets where every new copy job ends Failed.
    "failing_copy_targets": [],
    # "<account>/<region>" targets where every new provisioned throughput ends Failed instead of InService.
    "failing_throughput_targets": [],
    # Organization with RAM sharing enabled: shares to member accounts are auto-accepted. False: RAM refuses
    # to share custom models (OperationNotPermittedException, ram_common.require_organization_sharing).
    "org_sharing_enabled": True,
    # Model versions (any name or ARN along a served model's copy chain) whose InvokeModel/Converse answers
    # are wrong, slow (45 s reported latency), or never come (ModelTimeoutException): see bedrock_runtime.py.
    "wrong_answer_models": [],
    "slow_answer_models": [],
    "unanswering_models": [],
    # Simulated durations.
    "copy_job_seconds": 1200,
    "throughput_seconds": 600,
    "deployment_seconds": 300,
    "customization_job_seconds": 7200,  # a fine-tuning job (`sandbox fine-tune`)
    # Simulated seconds per real second (the clock also moves between CLI invocations). 0 freezes time;
    # tests use a frozen clock and advance it explicitly.
    "time_scale": 120.0,
}


_ACCOUNT = re.compile(r"^\d{12}$")
_TARGET = re.compile(r"^\d{12}/[a-z]{2}(-[a-z]+)+-\d$")


def setting_problem(key: str, value: Any) -> str | None:
    """Why `value` cannot be the setting `key` (typed already), or None. A value out of range would
    break every later run of the sandbox (e.g. time_scale=nan), so it is refused up front."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number) or number < 0:
            return f"sandbox setting '{key}' must be a finite number of 0 or more, not {value!r}"
        if key in ("throttle_rate", "status_read_fault_rate") and number > 1:
            return f"sandbox setting '{key}' is a fraction of calls, from 0 to 1, not {value!r}"
        if key == "latency_seconds" and number > 60:
            return (
                f"sandbox setting 'latency_seconds' is each call's response time, at most 60 seconds, not "
                f"{value!r}"
            )
    if key == "unreachable_accounts":
        bad = [item for item in value if not _ACCOUNT.match(str(item))]
        if bad:
            return (
                "sandbox setting 'unreachable_accounts' lists 12-digit account ids, e.g. 777788889999, "
                f"not {bad[0]!r}"
            )
    if key in ("failing_copy_targets", "failing_throughput_targets"):
        bad = [item for item in value if not _TARGET.match(str(item))]
        if bad:
            return (
                f"sandbox setting '{key}' lists ACCOUNT/REGION targets, e.g. "
                f"777788889999/us-west-2, not {bad[0]!r}"
            )
    return None
