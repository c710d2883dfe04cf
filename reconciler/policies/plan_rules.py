"""Rules judged on the plan: a version may only enter an environment once the environment it is promoted
from has converged on it; a protected environment loses nothing without an override."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from reconciler.core.findings import Finding
from reconciler.core.plan import Action, Plan
from reconciler.manifests.model import Environment, Manifests
from reconciler.policies.context import finding

# Changes that bring a version into an environment (a copy, capacity, or a repoint of capacity).
ARRIVING = ("create", "update", "wait")


def plan_findings(manifests: Manifests, environment: Environment, plan: Plan) -> list[Finding]:
    return [*_convergence(manifests, environment, plan), *_protected(manifests, environment, plan)]


def _parts(address: str) -> tuple[str, str, str, str] | None:
    """(environment, region, model, kind) of an environment resource address, else None."""
    parts = address.split("/")
    if len(parts) == 4 and parts[3] in ("copy", "throughput", "deployment"):
        return parts[0], parts[1], parts[2], parts[3]
    return None


def _arriving(plan: Plan, environment: str, model: str) -> list[Action]:
    return [
        a
        for a in plan.actions
        if a.change in ARRIVING
        and (parts := _parts(a.address)) is not None
        and parts[0] == environment
        and parts[2] == model
    ]


def _convergence(manifests: Manifests, environment: Environment, plan: Plan) -> Iterator[Finding]:
    source = next((e for e in manifests.environments if e.name == environment.policies.promoted_from), None)
    if source is None:
        return
    for pin in environment.models:
        source_pin = next((p for p in source.models if p.model == pin.model), None)
        if source_pin is None or source_pin.version != pin.version:
            continue  # not pinned there (or an earlier version): judged by the promotion-order rule
        if not _arriving(plan, environment.name, pin.model):
            continue  # already here: nothing enters
        pending = [
            a.address
            for a in _arriving(plan, source.name, pin.model)
            if (parts := _parts(a.address)) is not None and parts[3] == "copy"
        ]
        if pending:
            yield finding(
                environment,
                "promotedFrom",
                pin.where("version"),
                f"{pin.model} {pin.version} cannot enter {environment.name} yet: {source.name} has not "
                f"converged on it (this plan still makes {', '.join(sorted(pending))})",
                f"apply {pin.model} {pin.version} to {source.name} first (pin it there in a separate pull "
                f"request), then promote it to {environment.name}",
            )


def _removed_account(action: Action) -> str:
    """The account that loses something: the principal of a share-principal removal, else the caller's."""
    if "/principal/" in action.address:
        return action.address.rsplit("/", 1)[1]
    return action.account


def _protected(manifests: Manifests, environment: Environment, plan: Plan) -> Iterator[Finding]:
    policies = environment.policies
    if not policies.protected:
        return
    for action in plan.actions:
        if action.change != "delete" or _removed_account(action) != environment.account_id:
            continue
        if any(fnmatchcase(action.address, pattern) for pattern in policies.allow_removals):
            continue
        yield finding(
            environment,
            "protected",
            environment.where("policies.protected"),
            f"{environment.name} is protected, and this plan removes {action.address} "
            f"({action.service}:{action.operation} in {action.account} {action.region})",
            f"if the removal is intended, allow it explicitly: add `allowRemovals: [{action.address}]` "
            f"under policies in {environment.location.file} (remove the entry once applied); "
            "otherwise declare the resource again or plan without --prune",
        )
