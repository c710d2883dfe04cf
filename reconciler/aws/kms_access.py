"""Does a KMS key policy (or a grant) let a principal perform some actions? Enough of IAM's logic for the
preflight check: Allow/Deny statements, principals (ARN, account id or root, "*"), actions with
wildcards; conditions are assumed satisfied (the check cannot know the request context). Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def principal_names(principal_arn: str) -> set[str]:
    """What a key policy may call `principal_arn`: itself, its account id and its account's root."""
    account = principal_arn.split(":")[4] if principal_arn.count(":") >= 5 else principal_arn
    return {principal_arn, account, f"arn:aws:iam::{account}:root"}


def _matches_principal(statement: Mapping[str, Any], names: set[str]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(p == "*" or p in names for p in _as_list(principal.get("AWS")))
    return False


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    return any(
        fnmatchcase(action.lower(), str(pattern).lower()) for pattern in _as_list(statement.get("Action"))
    )


def missing_actions(
    policy_text: str,
    grants: Iterable[Mapping[str, Any]],
    principal_arns: Sequence[str],
    needed: Sequence[str],
) -> list[str]:
    """The actions of `needed` ("kms:Decrypt"...) that neither the policy nor a grant allows to any of
    `principal_arns`, or that the policy denies."""
    try:
        document = json.loads(policy_text)
    except (TypeError, ValueError):
        return list(needed)
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]
    names: set[str] = set()
    for arn in principal_arns:
        names |= principal_names(arn)
    granted = {
        f"kms:{operation}".lower()
        for grant in grants
        if grant.get("GranteePrincipal") in names
        for operation in grant.get("Operations", ())
    }
    missing = []
    for action in needed:
        relevant = [s for s in statements if _matches_principal(s, names) and _matches_action(s, action)]
        denied = any(s.get("Effect") == "Deny" for s in relevant)
        allowed = any(s.get("Effect") == "Allow" for s in relevant) or action.lower() in granted
        if denied or not allowed:
            missing.append(action)
    return missing


def statement_for(principal_arn: str, actions: Sequence[str]) -> str:
    """The key policy statement that would fix a finding, as compact JSON."""
    return json.dumps(
        {
            "Sid": "AllowBedrockGitOpsModelCopies",
            "Effect": "Allow",
            "Principal": {"AWS": principal_arn},
            "Action": list(actions),
            "Resource": "*",
        }
    )
