"""Session policies enforced the way AWS enforces them (moto records them and ignores them).

A role session assumed with STS `AssumeRole(Policy=...)` may do only what both the role and the session
policy allow (IAM user guide, "Session policies":
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session; evaluation:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). The sandbox's
roles may do everything, so the intersection is the session policy itself: a request is allowed when a
statement allows its action and none denies it. What a request is refused with is AWS's "enhanced" access
denied message (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):
"User: <arn> is not authorized to perform: <action> because no session policy allows the <action> action".

Supported: `Effect`, `Action`/`NotAction` with `*`/`?` wildcards (case-insensitive, as IAM matches
actions). An Allow statement that names resources other than "*" or carries a `Condition` grants nothing
here (never more than AWS would); a Deny statement denies whatever it names.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any

from moto.sts.models import sts_backends

from reconciler.sandbox.api import SimulatedError


@functools.lru_cache(maxsize=4096)
def session_of(account: str, access_key: str) -> tuple[str, str | None] | None:
    """(assumed-role session ARN, its session policy JSON or None) for temporary credentials from moto's
    AssumeRole; None for other credentials (the base credentials). Keys never change sessions: cached."""
    for backend in sts_backends[account].values():
        assumed = backend.get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            return str(assumed.arn), assumed.policy
    return None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def _names(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _matches(_listed(statement["NotAction"]), action)
    return _matches(_listed(statement.get("Action")), action)


@functools.lru_cache(maxsize=256)
def _statements(policy: str) -> tuple[dict[str, Any], ...]:
    document = json.loads(policy)
    statements = document.get("Statement", [])
    return tuple([statements] if isinstance(statements, dict) else statements)


@functools.lru_cache(maxsize=4096)
def refusal(policy: str, action: str) -> str | None:
    """Why `policy` does not let a session perform `action` (the reason part of AWS's message), or None.
    A function of its two texts only: cached, as every call of a plan asks it again."""
    allowed = False
    for statement in _statements(policy):
        if not _names(statement, action):
            continue
        if statement.get("Effect") == "Deny":
            return "with an explicit deny in a session policy"
        unconditional = "Condition" not in statement and _listed(statement.get("Resource", "*")) == ["*"]
        allowed = allowed or (statement.get("Effect") == "Allow" and unconditional)
    return None if allowed else f"because no session policy allows the {action} action"


def caller_principal(account: str, access_key: str) -> str:
    """The IAM principal a key policy names for this caller: the role of an assumed-role session
    (`arn:aws:iam::<account>:role/<name>`), else the account's root."""
    session = session_of(account, access_key)
    if session is None or ":assumed-role/" not in session[0]:
        return f"arn:aws:iam::{account}:root"
    role = session[0].split(":assumed-role/", 1)[1].split("/", 1)[0]
    return f"arn:aws:iam::{account}:role/{role}"


def check_session_policy(account: str, access_key: str, action: str) -> None:
    """Raise AccessDeniedException, as AWS does, when the caller's session policy does not allow `action`."""
    session = session_of(account, access_key)
    if session is None:
        return
    arn, policy = session
    if policy is None:
        return
    reason = refusal(policy, action)
    if reason is not None:
        raise SimulatedError(
            "AccessDeniedException", f"User: {arn} is not authorized to perform: {action} {reason}", 403
        )
