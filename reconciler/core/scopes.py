"""Which (account, Region)s discovery must read, what to list in each, and which role to assume (pure)."""

from __future__ import annotations

from typing import NamedTuple

from reconciler.core.live import Scope
from reconciler.manifests.model import Manifests


class ScopeRead(NamedTuple):
    scope: Scope
    role_arn: str
    bedrock: bool  # custom models, copy jobs, provisioned throughputs, deployments
    shares: bool  # RAM shares this account owns here (model source accounts, in the source Region)
    invitations: bool  # RAM invitations this account received here (recipients, in the source Region)


def scopes_to_read(manifests: Manifests, environments: tuple[str, ...] = ()) -> dict[Scope, ScopeRead]:
    """`environments`: only what these environments need (a scoped plan's judged environments,
    core/plan_scope.py): their accounts and Regions and the source scopes of the models they pin; () for
    the whole estate."""
    chosen = [e for e in manifests.environments if not environments or e.name in environments]
    pinned = {pin.model for e in chosen for pin in e.models}
    flags: dict[Scope, tuple[bool, bool, bool]] = {}

    def want(scope: Scope, *, bedrock: bool = False, shares: bool = False, invitations: bool = False) -> None:
        old = flags.get(scope, (False, False, False))
        flags[scope] = (old[0] or bedrock, old[1] or shares, old[2] or invitations)

    for environment in chosen:
        for region in environment.regions:
            want(Scope(environment.account_id, region), bedrock=True)
        for pin in environment.models:
            model = manifests.model(pin.model)
            if model is not None and model.source_account != environment.account_id:
                # Invitations (and the shared model itself) show up in the share's Region.
                want(Scope(environment.account_id, model.source_region), bedrock=True, invitations=True)
    for model in manifests.models:
        if environments and model.name not in pinned:
            continue
        # Reading the source scope's models also tells whether each version's ARN really exists.
        want(Scope(model.source_account, model.source_region), bedrock=True, shares=True)
    reads: dict[Scope, ScopeRead] = {}
    roles = manifests.roles_by_account()
    for scope, (bedrock, shares, invitations) in sorted(flags.items()):
        role = roles.get(scope.account)
        # The loader guarantees a role for every account it accepts.
        assert role is not None, f"no role for account {scope.account}"
        reads[scope] = ScopeRead(scope, role, bedrock, shares, invitations)
    return reads
