"""A saved plan file is compared, never trusted (Terraform's rule: apply recomputes and compares).

`apply PLANFILE` re-plans under the lock, with `prune` taken from the manifests and the apply command line,
and re-runs the policies and preflight checks. Whether the requests the file would send are still the ones
a fresh plan sends is core/staleness.py's question; this module checks every other part of the file that
the fresh plan decides, so that a file edited by hand (or by a compromised step) is refused, naming the
part: its scope (a partial plan acts in its environments only), its `prune`, its blocking findings, an
account no manifest declares, a `wait` that is not a read or is not the fresh plan's, an action's
dependencies. `plan_digest` is a checksum of the plan's canonical JSON
that the apply report and the pull-request comment carry, so that "the plan applied is the plan reviewed"
can be checked by anyone holding both.

Pure: plans in, text out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.core.findings import Finding
from reconciler.core.plan import Action, Plan
from reconciler.core.plan_scope import scope_problems
from reconciler.core.planfile import action_to_json, plan_to_json

# A wait only reads the job or resource it waits for (aws/steps.py runs an action by its operation).
WAIT_OPERATIONS = frozenset({"GetModelCopyJob", "GetProvisionedModelThroughput", "GetCustomModelDeployment"})
WAIT_MEMBERS = ("service", "operation", "account", "region", "params")
MAX_LISTED = 5


def plan_digest(plan: Plan) -> str:
    """sha256 over the plan's canonical JSON (sorted keys, no insignificant whitespace, UTF-8)."""
    canonical = json.dumps(plan_to_json(plan), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def mismatches(
    saved: Plan,
    fresh: Plan,
    declared_accounts: frozenset[str],
    environment_accounts: Mapping[str, str] | None = None,
) -> list[str]:
    """Each part of `saved` that does not match `fresh` (planned now from the same manifests), other than
    the requests themselves (core/staleness.py), as one line naming the part; empty when none.
    `environment_accounts` (environment name -> account): to judge a partial plan's scope
    (core/plan_scope.py)."""
    found: list[str] = scope_problems(
        saved.scope, fresh.scope, saved.actions, saved.removals, environment_accounts or {}
    )
    if saved.prune != fresh.prune:
        found.append(
            f"prune: the file says {_json(saved.prune)}, but the manifests (spec.prune) and the apply "
            f"command line (--prune) say {_json(fresh.prune)}; pruning is decided by those, never by the "
            "file (a plan made with `plan --prune` is applied with `apply --prune FILE`)"
        )
    found += _finding_mismatches(saved.findings, fresh.findings)
    strangers = sorted({a.account for a in saved.actions} - declared_accounts)
    if strangers:
        found.append(f"accounts: the file acts in {', '.join(strangers)}, which no manifest declares")
    found += _wait_mismatches(saved, fresh)
    found += _dependency_mismatches(saved, fresh)
    return found


def _error_key(finding: Finding) -> tuple[Any, ...]:
    # Not the message: it may quote live figures (a quota's usage) that move without changing the verdict.
    return (
        finding.rule,
        finding.file,
        finding.line,
        finding.column,
        finding.environment,
        finding.account,
        finding.region,
    )


def _finding_mismatches(saved: tuple[Finding, ...], fresh: tuple[Finding, ...]) -> list[str]:
    """Blocking findings must be the fresh plan's: a file cannot drop its verdict (nor carry another)."""
    old = {_error_key(f): f for f in saved if f.severity == "error"}
    new = {_error_key(f): f for f in fresh if f.severity == "error"}
    lines = []
    missing = [f"{f.rule} at {f.where}" for key, f in sorted(new.items()) if key not in old]
    extra = [f"{f.rule} at {f.where}" for key, f in sorted(old.items()) if key not in new]
    if missing:
        lines.append(
            f"findings: {len(missing)} policy/preflight error(s) of a fresh plan are missing from the file "
            f"({_listed(missing)})"
        )
    if extra:
        lines.append(f"findings: the file has {len(extra)} error(s) a fresh plan does not ({_listed(extra)})")
    return lines


def _request(action: Action, members: tuple[str, ...]) -> dict[str, Any]:
    data = action_to_json(action)
    return {key: data[key] for key in members}


def _wait_mismatches(saved: Plan, fresh: Plan) -> list[str]:
    """A wait the fresh plan no longer needs is fine (its job finished), but it must still be a read; one
    both plans have must be the same read."""
    fresh_waits = {a.address: a for a in fresh.actions if a.change == "wait"}
    lines = []
    for action in saved.actions:
        if action.change != "wait":
            continue
        if action.service != "bedrock" or action.operation not in WAIT_OPERATIONS:
            lines.append(
                f"action {action.address}: a wait that calls {action.service}.{action.operation}; "
                f"waits only read ({', '.join(sorted(WAIT_OPERATIONS))})"
            )
        elif action.address in fresh_waits and _request(action, WAIT_MEMBERS) != _request(
            fresh_waits[action.address], WAIT_MEMBERS
        ):
            lines.append(f"action {action.address}: the wait differs from a fresh plan's")
    return lines


def _dependency_mismatches(saved: Plan, fresh: Plan) -> list[str]:
    """An action must wait for what the fresh plan makes it wait for (a dependency dropped from the file
    would let a delete or a create run too early); only finished waits may be extra."""
    finished = {a.address for a in saved.actions if a.change == "wait"} - {
        a.address for a in fresh.actions if a.change == "wait"
    }
    fresh_actions = {a.address: a for a in fresh.actions}
    lines = []
    for action in saved.actions:
        other = fresh_actions.get(action.address)
        if other is None or action.change == "wait":
            continue
        dropped = sorted(set(other.depends_on) - set(action.depends_on))
        added = sorted(set(action.depends_on) - set(other.depends_on) - finished)
        if dropped or added:
            detail = "; ".join(
                part
                for part in (
                    f"missing {_listed(dropped)}" if dropped else "",
                    f"extra {_listed(added)}" if added else "",
                )
                if part
            )
            lines.append(f"action {action.address}: depends_on differs from a fresh plan's ({detail})")
    return lines


def _json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:MAX_LISTED])
    return shown + (f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")
