"""Desired state x live state → Plan (pure). Ordering into waves is in `ordering`; removals in `removals`.

Ownership is decided by tags alone: a resource is ours only if it carries
`bedrock-gitops:managed-by=bedrock-gitops`. A declared name held by an unmanaged resource is never taken
over; the plan warns instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.core.capacity_plan import CapacityPlanning
from reconciler.core.desired import DesiredCopy, DesiredShare, DesiredState
from reconciler.core.live import LiveCopyJob, LiveCustomModel, LiveShare, LiveState, Scope, ScopeState
from reconciler.core.names import with_token
from reconciler.core.ordering import assign_waves
from reconciler.core.plan import Action, Plan, Ref, Removal
from reconciler.core.removals import plan_removals
from reconciler.core.tags import is_managed, tag_list

COPY_TARGET_ARN = "targetModelArn"
_IN_FLIGHT_CAPACITY = frozenset({"Creating", "Updating"})
_SETTLED_CAPACITY = frozenset({"InService", "Active"})


def usable_models(state: ScopeState) -> dict[tuple[str, str], LiveCustomModel]:
    """(name, owner account) -> the first model of that name and owner that is not Failed: what a copy made
    (see existing_copy). Built once per scope: the planner asks it for every copy and capacity."""
    usable: dict[tuple[str, str], LiveCustomModel] = {}
    for model in state.custom_models:
        if model.status != "Failed":
            usable.setdefault((model.name, model.owner_account), model)
    return usable


def existing_copy(
    usable: dict[tuple[str, str], LiveCustomModel], copy: DesiredCopy
) -> LiveCustomModel | None:
    """The usable model a copy made (owned here, not Failed), if there is one; `usable`: usable_models of
    the copy's scope."""
    return usable.get((copy.target_model_name, copy.account))


def tag_reads(desired: DesiredState, live: LiveState) -> dict[Scope, list[str]]:
    """The provisioned throughputs and deployments whose tags the plan needs (List* calls return none).

    Tags decide whether we may act on a resource, so they are read exactly where the plan would act:
    capacity named like ours (`<environment>-...` in the environment's own account) that is not declared
    (a removal candidate), or that is declared but serves another model or is still being created or
    updated. Declared capacity that already serves the right model needs no call: the plan leaves it as it
    is, whoever made it. A converged estate costs no tag reads at all.
    """
    declared = {(c.account, c.region, c.name): c for c in desired.capacities}
    copies = {c.address: c for c in desired.copies}
    reads: dict[Scope, list[str]] = {}
    for scope, state in sorted(live.scopes.items()):
        environment = desired.environment_of_account.get(scope.account)
        if environment is None:
            continue
        prefix = f"{environment}-"
        arns: list[str] = []
        usable: dict[tuple[str, str], LiveCustomModel] | None = None
        for name, arn, current, status, size in (
            *(
                (
                    t.name,
                    t.arn,
                    t.desired_model_arn or t.model_arn,
                    t.status,
                    (t.model_units, t.commitment or "none"),
                )
                for t in state.throughputs
            ),
            *((d.name, d.arn, d.model_arn, d.status, None) for d in state.deployments),
        ):
            if not name.startswith(prefix):
                continue
            capacity = declared.get((scope.account, scope.region, name))
            resized = (
                capacity is not None
                and size is not None
                and size != (capacity.model_units, capacity.commitment)
            )
            if capacity is None or status not in _SETTLED_CAPACITY or resized:
                arns.append(arn)
                continue
            target: str | None = capacity.source_model_arn
            if capacity.copy_address:
                if usable is None:
                    usable = usable_models(state)
                model = existing_copy(usable, copies[capacity.copy_address])
                target = model.arn if model else None
            if target != current:
                arns.append(arn)
        if arns:
            reads[scope] = arns
    return reads


class _Planner(CapacityPlanning):
    def __init__(self, desired: DesiredState, live: LiveState, now: datetime) -> None:
        self.desired = desired
        self.live = live
        self.now = now
        # Part of the tokens of resources AWS forgets once deleted (shares, capacity): a resource made again
        # by a later plan is a new request, while a retry inside one apply reuses the token.
        self.generation = now.isoformat()
        self.actions: list[Action] = []
        self.warnings: list[str] = []
        self.removals: list[Removal] = []
        self.claimed_capacity: set[str] = set()
        # Copy address -> ARN of the model the capacity must serve (or a Ref while the copy is pending).
        self.copy_targets: dict[str, str | Ref] = {}
        # (share address, recipient account) -> the actions that make the shared model usable there.
        self.share_ready: dict[tuple[str, str], list[str]] = {}
        # (account, Region) -> usable_models of that scope, made on first use.
        self.usable: dict[tuple[str, str], dict[tuple[str, str], LiveCustomModel]] = {}

    def add(self, action: Action) -> None:
        self.actions.append(action)

    # -- shares -------------------------------------------------------------------------------------------

    def share(self, share: DesiredShare) -> None:
        scope = self.live.scope(share.owner_account, share.region)
        live_share = _managed_share(scope.shares, share.name)
        if live_share is None:
            self.add(
                Action(
                    address=share.address,
                    change="create",
                    service="ram",
                    operation="CreateResourceShare",
                    account=share.owner_account,
                    region=share.region,
                    params=with_token(
                        "CreateResourceShare",
                        share.owner_account,
                        share.region,
                        {
                            "name": share.name,
                            "resourceArns": [share.model_arn],
                            "principals": list(share.principals),
                            # Custom models may only be shared inside the organization.
                            "allowExternalPrincipals": False,
                            "tags": tag_list(share.tags),
                        },
                        "clientToken",
                        # RAM remembers the token of a deleted share: a share made again is a new request.
                        generation=[self.generation],
                    ),
                    reason="the version is pinned in another account",
                    after={"model": share.model_arn, "principals": list(share.principals)},
                )
            )
            for account in share.principals:
                self.share_ready[(share.address, account)] = [share.address]
            return
        missing = [p for p in share.principals if p not in live_share.principals]
        resource_missing = share.model_arn not in live_share.resource_arns
        for account in share.principals:
            ready: list[str] = []
            if account in missing or resource_missing:
                address = f"{share.address}/principal/{account}"
                params: dict[str, Any] = {"resourceShareArn": live_share.arn, "principals": [account]}
                if resource_missing:
                    params["resourceArns"] = [share.model_arn]
                params = with_token(
                    "AssociateResourceShare",
                    share.owner_account,
                    share.region,
                    params,
                    "clientToken",
                    generation=[self.generation],
                )
                self.add(
                    Action(
                        address=address,
                        change="create",
                        service="ram",
                        operation="AssociateResourceShare",
                        account=share.owner_account,
                        region=share.region,
                        params=params,
                        reason=f"account {account} now runs this version",
                        after={"principal": account},
                    )
                )
                ready.append(address)
            invitation = next(
                (
                    i
                    for i in self.live.scope(account, share.region).invitations
                    if i.share_arn == live_share.arn and i.status == "PENDING"
                ),
                None,
            )
            if invitation is not None:
                address = f"{share.address}/accept/{account}"
                self.add(
                    Action(
                        address=address,
                        change="create",
                        service="ram",
                        operation="AcceptResourceShareInvitation",
                        account=account,
                        region=share.region,
                        params=with_token(
                            "AcceptResourceShareInvitation",
                            account,
                            share.region,
                            {"resourceShareInvitationArn": invitation.arn},
                            "clientToken",
                        ),
                        reason="the share's invitation is pending (RAM does not auto-accept here)",
                        depends_on=tuple(ready),
                    )
                )
                ready.append(address)
            self.share_ready[(share.address, account)] = ready

    # -- copies -------------------------------------------------------------------------------------------

    def copy(self, copy: DesiredCopy) -> None:
        scope = self.live.scope(copy.account, copy.region)
        usable = self.usable.get((copy.account, copy.region))
        if usable is None:
            usable = self.usable[(copy.account, copy.region)] = usable_models(scope)
        model = existing_copy(usable, copy)
        if model is not None:
            self.copy_targets[copy.address] = model.arn
            return
        self.copy_targets[copy.address] = Ref(copy.address, COPY_TARGET_ARN)
        jobs = sorted(
            (j for j in scope.copy_jobs if j.target_model_name == copy.target_model_name),
            key=lambda j: (j.creation_time, j.arn),
        )
        running = next((j for j in jobs if j.status == "InProgress"), None)
        if running is not None:
            self.add(
                Action(
                    address=copy.address,
                    change="wait",
                    service="bedrock",
                    operation="GetModelCopyJob",
                    account=copy.account,
                    region=copy.region,
                    params={"jobArn": running.arn},
                    reason=f"copy job started {running.creation_time} is still in progress",
                    after={"job": running.arn},
                )
            )
            return
        params: dict[str, Any] = {
            "sourceModelArn": copy.source_model_arn,
            "targetModelName": copy.target_model_name,
            "targetModelTags": tag_list(copy.tags),
        }
        if copy.kms_key:
            params["modelKmsKeyId"] = copy.kms_key
        # Copy jobs stay listed after their model is gone: earlier jobs are the copy's generation.
        params = with_token(
            "CreateModelCopyJob",
            copy.account,
            copy.region,
            params,
            "clientRequestToken",
            generation=[job.arn for job in jobs],
        )
        depends_on = (
            tuple(self.share_ready.get((copy.share_address, copy.account), ())) if copy.share_address else ()
        )
        self.add(
            Action(
                address=copy.address,
                change="create",
                service="bedrock",
                operation="CreateModelCopyJob",
                account=copy.account,
                region=copy.region,
                params=params,
                reason=_copy_reason(jobs),
                depends_on=depends_on,
                after={
                    "model": copy.target_model_name,
                    "version": copy.version,
                    "source": copy.source_model_arn,
                },
            )
        )


def _managed_share(shares: tuple[LiveShare, ...], name: str) -> LiveShare | None:
    return next(
        (s for s in shares if s.name == name and s.status in {"ACTIVE", "PENDING"} and is_managed(s.tags)),
        None,
    )


def _copy_reason(jobs: list[LiveCopyJob]) -> str:
    if not jobs:
        return "the model is not in this account and Region"
    last = jobs[-1]
    if last.status == "Failed":
        return f"the last copy job failed ({last.failure_message or 'no message'}); trying again"
    return "the copy made earlier is gone (deleted outside bedrock-gitops): copying again"


def compute_plan(
    desired: DesiredState,
    live: LiveState,
    *,
    manifests_fingerprint: str,
    prune: bool,
    now: datetime,
    scope: tuple[str, ...] = (),
    scope_accounts: frozenset[str] | None = None,
) -> Plan:
    """`scope`/`scope_accounts`: a partial plan's environments and their accounts (core/plan_scope.py);
    `desired` is already restricted to them, and removals are judged in those accounts only."""
    planner = _Planner(desired, live, now)
    for share in desired.shares:
        planner.share(share)
    for copy in desired.copies:
        planner.copy(copy)
    for capacity in desired.capacities:
        planner.capacity(capacity)
    deletions, removals = plan_removals(
        desired,
        live,
        prune=prune,
        now=now,
        pending=planner.actions,
        claimed=frozenset(planner.claimed_capacity),
        accounts=scope_accounts,
    )
    removals = [
        *(r for r in planner.removals if scope_accounts is None or r.account in scope_accounts),
        *removals,
    ]
    actions = assign_waves([*planner.actions, *deletions])
    return Plan(
        actions=tuple(actions),
        removals=tuple(removals),
        manifests_fingerprint=manifests_fingerprint,
        live_fingerprint=live.fingerprint(),
        created_at=now.isoformat().replace("+00:00", "Z"),
        prune=prune,
        warnings=tuple(planner.warnings),
        scope=scope,
    )
