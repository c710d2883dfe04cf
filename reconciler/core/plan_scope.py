"""A partial plan (`plan/apply --environment NAME`), like Terraform's `-target` (pure).

A scope is the environments a plan covers; empty means the whole estate. Inside a scoped plan:

- the desired state keeps the copies and capacity of the scoped environments, and the shares they need
  (owned by the models' source accounts), granted only to the scoped environments' accounts;
- discovery reads only the accounts and Regions those need, plus the Regions of the environments the
  scoped ones are promoted from (`policies.promotedFrom`): their state decides the promotion and soak
  rules, so a scoped plan judges a promotion exactly as a full plan does, but never acts there;
- removals (pruning and the "no longer declared" report) only ever concern a scoped environment's account:
  a resource of another environment is never touched and never reported as an orphan;
- findings are those of the scoped environments (and those of no environment).

So an environment outside the scope, its account and its resources, are neither read (unless promoted
from) nor changed; one unreachable account no longer blocks the others' promotions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from reconciler.core.desired import DesiredState
from reconciler.core.findings import Finding
from reconciler.core.plan import Action, Removal
from reconciler.errors import ReconcilerError
from reconciler.manifests.model import Manifests


def resolve_scope(manifests: Manifests, names: Iterable[str]) -> tuple[str, ...]:
    """The scope for `--environment NAME...`, sorted and without repeats; () is the whole estate.
    An unknown name is an error that lists the known ones."""
    wanted = sorted(set(names))
    known = [environment.name for environment in manifests.environments]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        listed = ", ".join(f"'{name}'" for name in unknown)
        raise ReconcilerError(
            f"--environment {listed}: no such environment in environments/ "
            f"(known: {', '.join(sorted(known)) or 'none'}); pass one of the known names"
        )
    return tuple(wanted)


def partial_warning(scope: tuple[str, ...]) -> str:
    """The warning every output of a scoped plan carries (text, JSON, PR comment)."""
    return (
        f"This plan is PARTIAL: it covers only the environment(s) {', '.join(scope)} (--environment). "
        "Other environments were not planned: their changes and undeclared resources are not shown, and "
        "apply will not touch them. Like Terraform's -target, use it for exceptions (an unreachable "
        "account), then plan the whole estate again."
    )


def judged_environments(manifests: Manifests, scope: tuple[str, ...]) -> tuple[str, ...]:
    """The scope plus the environments its environments are promoted from (their live state decides the
    promotion and soak rules); () for the whole estate."""
    if not scope:
        return ()
    judged = set(scope)
    for environment in manifests.environments:
        if environment.name in scope and environment.policies.promoted_from:
            judged.add(environment.policies.promoted_from)
    known = {environment.name for environment in manifests.environments}
    return tuple(sorted(judged & known))


def scope_accounts(manifests: Manifests, scope: tuple[str, ...]) -> frozenset[str] | None:
    """The accounts of the scoped environments (one environment per account); None for the whole estate."""
    if not scope:
        return None
    return frozenset(env.account_id for env in manifests.environments if env.name in scope)


def within(desired: DesiredState, manifests: Manifests, scope: tuple[str, ...]) -> DesiredState:
    """`desired` restricted to the scoped environments (itself for the whole estate)."""
    accounts = scope_accounts(manifests, scope)
    if accounts is None:
        return desired
    shares = tuple(
        dataclasses.replace(share, principals=tuple(p for p in share.principals if p in accounts))
        for share in desired.shares
        if any(p in accounts for p in share.principals)
    )
    return DesiredState(
        shares=shares,
        copies=tuple(c for c in desired.copies if c.environment in scope),
        capacities=tuple(c for c in desired.capacities if c.environment in scope),
        environment_of_account={a: e for a, e in desired.environment_of_account.items() if a in accounts},
        pruning_accounts=desired.pruning_accounts & accounts,
        managed_scopes=frozenset(s for s in desired.managed_scopes if s[0] in accounts),
    )


def scoped_findings(findings: Iterable[Finding], scope: tuple[str, ...]) -> list[Finding]:
    """The findings about the scoped environments (and those about no environment)."""
    return [f for f in findings if not scope or f.environment is None or f.environment in scope]


def _principal(address: str) -> str | None:
    """The recipient account of a share principal or invitation (`.../principal/A`, `.../accept/A`)."""
    parts = address.split("/")
    if len(parts) >= 2 and parts[-2] in ("principal", "accept"):
        return parts[-1]
    return None


def outside_scope(action: Action, scope: tuple[str, ...], accounts: frozenset[str]) -> bool:
    """True when a scoped plan could not have made `action`: an environment resource of another
    environment, a share granted to another account, or a call in an account outside the scope (the shares
    the scope needs are made in the models' source accounts, for the scoped accounts only)."""
    parts = action.address.split("/")
    if len(parts) == 4 and parts[3] in ("copy", "throughput", "deployment") and parts[0] != "share":
        return parts[0] not in scope
    principal = _principal(action.address)
    if principal is not None:
        return principal not in accounts
    if parts[0] == "share" and action.operation == "CreateResourceShare":
        return not set(map(str, action.params.get("principals", []))) <= accounts
    return action.account not in accounts


def scope_problems(
    saved: tuple[str, ...],
    fresh: tuple[str, ...],
    actions: Iterable[Action],
    removals: Iterable[Removal],
    environment_accounts: Mapping[str, str],
) -> list[str]:
    """What in a saved plan's scope, or outside it, a fresh plan with the same scope would never say: one
    line per problem (core/saved_plan.py's tamper checks)."""
    lines: list[str] = []
    unknown = sorted(set(saved) - set(environment_accounts))
    if unknown:
        lines.append(
            f"scope: the file names environment(s) {', '.join(unknown)} that no manifest declares "
            f"(known: {', '.join(sorted(environment_accounts))})"
        )
    if saved != fresh:
        lines.append(
            f"scope: the file covers {_named(saved)}, the apply covers {_named(fresh)}; a saved plan is "
            "applied with its own scope (apply it without --environment, or pass the same names)"
        )
    if not saved:
        return lines
    accounts = frozenset(a for name, a in environment_accounts.items() if name in saved)
    strays = sorted(a.address for a in actions if outside_scope(a, saved, accounts))
    strays += sorted(r.address for r in removals if r.account not in accounts)
    if strays:
        shown = "; ".join(strays[:5]) + (f"; and {len(strays) - 5} more" if len(strays) > 5 else "")
        lines.append(f"scope: the file acts outside its scope {_named(saved)} ({shown})")
    return lines


def _named(scope: tuple[str, ...]) -> str:
    return f"environments {', '.join(scope)}" if scope else "the whole estate"
