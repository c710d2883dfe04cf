"""Managed resources the manifests no longer declare: shown as pending removal, deleted only when pruning.

Never touches a resource without our ownership tag, never deletes a provisioned throughput whose
commitment term is still running, and never deletes a model copy that capacity still serves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from reconciler.core.desired import DesiredState
from reconciler.core.live import LiveState, Scope, ScopeState
from reconciler.core.plan import Action, Removal
from reconciler.core.tags import is_managed

PRUNING_DISABLED = "pruning is disabled (enable it with --prune or spec.prune in the environment)"


KeepOrDelete = Callable[[Removal, Action | None], bool]


def plan_removals(
    desired: DesiredState,
    live: LiveState,
    *,
    prune: bool,
    now: datetime,
    pending: Sequence[Action],
    claimed: frozenset[str] = frozenset(),
    accounts: frozenset[str] | None = None,
) -> tuple[list[Action], list[Removal]]:
    """`claimed`: throughputs the capacity planner accounts for (a resize's old and new), never orphans.
    `accounts`: a scoped plan's accounts (core/plan_scope.py); a removal in any other account is neither
    made nor reported (None: every account)."""
    deletions: list[Action] = []
    removals: list[Removal] = []
    capacity_by_scope: dict[tuple[str, str], set[str]] = {}
    for capacity in desired.capacities:
        capacity_by_scope.setdefault((capacity.account, capacity.region), set()).add(capacity.name)
    copies_by_scope: dict[tuple[str, str], set[str]] = {}
    for copy in desired.copies:
        copies_by_scope.setdefault((copy.account, copy.region), set()).add(copy.target_model_name)
    repointed = {
        str(a.params.get("provisionedModelId") or a.params.get("customModelDeploymentIdentifier")): a.address
        for a in pending
        if a.change == "update"
        or (a.change == "delete" and a.operation == "DeleteProvisionedModelThroughput")
    }

    def allowed(account: str) -> bool:
        return prune or account in desired.pruning_accounts

    def keep_or_delete(removal: Removal, action: Action | None) -> bool:
        """True when the plan deletes it."""
        if accounts is not None and removal.account not in accounts:
            return False  # outside a scoped plan: not ours to judge (core/plan_scope.py)
        if action is not None and allowed(removal.account) and not removal.blocked_by:
            deletions.append(action)
            return True
        else:
            blocked = removal.blocked_by or PRUNING_DISABLED
            removals.append(
                Removal(
                    removal.address,
                    removal.kind,
                    removal.account,
                    removal.region,
                    removal.arn,
                    removal.reason,
                    blocked,
                )
            )
            return False

    for scope, state in sorted(live.scopes.items()):
        # capacity ARN -> address of its removal: a copy may go only once every capacity serving it goes
        # (two throughputs can serve one copy: a resize's old one, kept for its commitment, and the new one)
        removable_capacity: dict[str, str] = {}
        declared = capacity_by_scope.get(scope, set())
        for throughput in state.throughputs:
            if (
                throughput.name in declared
                or throughput.arn in claimed
                or not is_managed(live.tags.get(throughput.arn))
            ):
                continue
            address = f"{scope.account}/{scope.region}/throughput/{throughput.name}"
            committed = bool(throughput.commitment_expiration) and (
                str(throughput.commitment_expiration) > now.isoformat().replace("+00:00", "Z")
            )
            blocked = (
                f"its {throughput.commitment} commitment runs until {throughput.commitment_expiration}"
                if committed
                else ""
            )
            removal = Removal(
                address,
                "provisioned-throughput",
                scope.account,
                scope.region,
                throughput.arn,
                "no environment declares it any more",
                blocked,
            )
            keep_or_delete(
                removal,
                _delete(
                    address,
                    scope,
                    "DeleteProvisionedModelThroughput",
                    {"provisionedModelId": throughput.arn},
                    (),
                ),
            )
            if not blocked:
                removable_capacity[throughput.arn] = address
        for deployment in state.deployments:
            if deployment.name in declared or not is_managed(live.tags.get(deployment.arn)):
                continue
            address = f"{scope.account}/{scope.region}/deployment/{deployment.name}"
            removal = Removal(
                address,
                "deployment",
                scope.account,
                scope.region,
                deployment.arn,
                "no environment declares it any more",
                "",
            )
            keep_or_delete(
                removal,
                _delete(
                    address,
                    scope,
                    "DeleteCustomModelDeployment",
                    {"customModelDeploymentIdentifier": deployment.arn},
                    (),
                ),
            )
            removable_capacity[deployment.arn] = address
        _copies(
            state, scope, copies_by_scope.get(scope, set()), removable_capacity, repointed, keep_or_delete
        )
    _share_principals(desired, live, keep_or_delete)
    return deletions, removals


def _copies(
    state: ScopeState,
    scope: Scope,
    declared: set[str],
    removable_capacity: dict[str, str],
    repointed: dict[str, str],
    keep_or_delete: KeepOrDelete,
) -> None:
    managed_models = {job.target_model_arn for job in state.copy_jobs if is_managed(job.tags)}
    for model in state.custom_models:
        if model.arn not in managed_models or model.name in declared or model.owner_account != scope.account:
            continue
        address = f"{scope.account}/{scope.region}/copy/{model.name}"
        depends: list[str] = []
        blocked = ""
        users = [t for t in state.throughputs if model.arn in (t.model_arn, t.desired_model_arn)]
        users_d = [d for d in state.deployments if d.model_arn == model.arn]
        for user_arn, name in [(t.arn, t.name) for t in users] + [(d.arn, d.name) for d in users_d]:
            if user_arn in repointed:
                depends.append(repointed[user_arn])
            elif user_arn in removable_capacity:
                depends.append(removable_capacity[user_arn])
            else:
                blocked = f"capacity '{name}' still serves it"
        removal = Removal(
            address,
            "copy",
            scope.account,
            scope.region,
            model.arn,
            "no environment pins this version here any more",
            blocked,
        )
        keep_or_delete(
            removal,
            _delete(address, scope, "DeleteCustomModel", {"modelIdentifier": model.arn}, tuple(depends)),
        )


def _share_principals(desired: DesiredState, live: LiveState, keep_or_delete: KeepOrDelete) -> None:
    wanted = {(s.owner_account, s.region, s.name): set(s.principals) for s in desired.shares}
    for scope, state in sorted(live.scopes.items()):
        for share in state.shares:
            if share.status not in {"ACTIVE", "PENDING"} or not is_managed(dict(share.tags)):
                continue
            principals = wanted.get((scope.account, scope.region, share.name), set())
            removed: list[str] = []
            for principal in sorted(share.principals - principals):
                address = f"{scope.account}/{scope.region}/share/{share.name}/principal/{principal}"
                removal = Removal(
                    address,
                    "share-principal",
                    principal,
                    scope.region,
                    share.arn,
                    f"account {principal} no longer runs this version",
                    "",
                )
                action = _delete(
                    address,
                    scope,
                    "DisassociateResourceShare",
                    {"resourceShareArn": share.arn, "principals": [principal]},
                    (),
                )
                if keep_or_delete(removal, action):
                    removed.append(address)
            if (scope.account, scope.region, share.name) not in wanted and set(removed) == {
                f"{scope.account}/{scope.region}/share/{share.name}/principal/{p}" for p in share.principals
            }:
                # No environment runs this version any more and every principal is gone: the share itself
                # goes too (an empty managed share would linger forever otherwise).
                address = f"{scope.account}/{scope.region}/share/{share.name}"
                removal = Removal(
                    address,
                    "share",
                    # The account whose pruning allowed the last principal's removal (or the owner's).
                    (sorted(share.principals) or [scope.account])[0],
                    scope.region,
                    share.arn,
                    "no environment runs this version any more",
                    "",
                )
                deletion = _delete(
                    address, scope, "DeleteResourceShare", {"resourceShareArn": share.arn}, tuple(removed)
                )
                keep_or_delete(removal, deletion)


def _delete(
    address: str, scope: Scope, operation: str, params: dict[str, object], depends_on: tuple[str, ...]
) -> Action:
    return Action(
        address=address,
        change="delete",
        service="ram" if operation in ("DisassociateResourceShare", "DeleteResourceShare") else "bedrock",
        operation=operation,
        account=scope.account,
        region=scope.region,
        params=params,
        reason="managed by bedrock-gitops and no longer declared (pruning)",
        depends_on=depends_on,
    )
