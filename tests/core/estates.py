"""Hand-built live states for planner tests: what AWS looks like after a successful apply."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping

from reconciler.core.desired import DesiredState
from reconciler.core.live import (
    LiveCopyJob,
    LiveCustomModel,
    LiveDeployment,
    LiveShare,
    LiveState,
    LiveThroughput,
    Scope,
    ScopeState,
)

CREATED = "2026-11-01T10:00:00Z"
BASE = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0:300k"


def short_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def copy_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:bedrock:{region}:{account}:custom-model/amazon.nova-pro-v1:0:300k/{short_id(name)}"


def source_models(desired: DesiredState) -> dict[Scope, list[LiveCustomModel]]:
    found: dict[Scope, list[LiveCustomModel]] = {}
    arns = {(s.owner_account, s.region, s.model_arn) for s in desired.shares}
    arns |= {(c.source_account, "us-east-1", c.source_model_arn) for c in desired.copies}
    for account, region, arn in sorted(arns):
        found.setdefault(Scope(account, region), []).append(
            LiveCustomModel(arn, arn.rsplit("/", 1)[-1], account, BASE, "Active", CREATED)
        )
    return found


def converged(desired: DesiredState) -> LiveState:
    """The live state a full apply of `desired` leaves behind."""
    scopes: dict[Scope, ScopeState] = {}
    tags: dict[str, Mapping[str, str]] = {}

    def scope(account: str, region: str) -> ScopeState:
        return scopes.setdefault(Scope(account, region), ScopeState(account, region))

    def add(account: str, region: str, **items: object) -> None:
        state = scope(account, region)
        changes = {name: (*getattr(state, name), *values) for name, values in items.items()}  # type: ignore[misc]
        scopes[Scope(account, region)] = dataclasses.replace(state, **changes)  # type: ignore[arg-type]

    for key, models in source_models(desired).items():
        add(key.account, key.region, custom_models=models)
    for share in desired.shares:
        arn = f"arn:aws:ram:{share.region}:{share.owner_account}:resource-share/{short_id(share.name)}"
        add(
            share.owner_account,
            share.region,
            shares=[
                LiveShare(
                    arn,
                    share.name,
                    share.owner_account,
                    "ACTIVE",
                    False,
                    dict(share.tags),
                    frozenset({share.model_arn}),
                    frozenset(share.principals),
                )
            ],
        )
    targets: dict[str, str] = {}
    for copy in desired.copies:
        model = copy_arn(copy.account, copy.region, copy.target_model_name)
        targets[copy.address] = model
        job = LiveCopyJob(
            f"arn:aws:bedrock:{copy.region}:{copy.account}:model-copy-job/{short_id(copy.address)}",
            "Completed",
            copy.source_model_arn,
            copy.source_account,
            copy.target_model_name,
            model,
            None,
            None,
            CREATED,
            dict(copy.tags),
        )
        add(
            copy.account,
            copy.region,
            custom_models=[
                LiveCustomModel(model, copy.target_model_name, copy.account, BASE, "Active", CREATED)
            ],
            copy_jobs=[job],
        )
    for capacity in desired.capacities:
        model = targets[capacity.copy_address] if capacity.copy_address else capacity.source_model_arn
        arn = f"arn:aws:bedrock:{capacity.region}:{capacity.account}:{short_id(capacity.address)}"
        tags[arn] = dict(capacity.tags)
        if capacity.kind == "provisioned":
            committed = capacity.commitment != "none"
            add(
                capacity.account,
                capacity.region,
                throughputs=[
                    LiveThroughput(
                        arn,
                        capacity.name,
                        model,
                        model,
                        BASE,
                        capacity.model_units,
                        capacity.model_units,
                        "InService",
                        capacity.commitment if committed else None,
                        "2026-12-01T10:00:00Z" if committed else None,
                        CREATED,
                    )
                ],
            )
        else:
            add(
                capacity.account,
                capacity.region,
                deployments=[LiveDeployment(arn, capacity.name, model, "Active", CREATED)],
            )
    return LiveState(scopes, tags)


def without(live: LiveState, scope: Scope, **filters: str) -> LiveState:
    """`live` with the items of one kind whose name is given removed from one scope, e.g. copy="x"."""
    state = live.scopes[scope]
    for kind, name in filters.items():
        field = {
            "model": "custom_models",
            "throughput": "throughputs",
            "deployment": "deployments",
            "job": "copy_jobs",
        }[kind]
        attribute = "target_model_name" if kind == "job" else "name"
        kept = tuple(item for item in getattr(state, field) if getattr(item, attribute) != name)
        state = dataclasses.replace(state, **{field: kept})
    return LiveState({**live.scopes, scope: state}, live.tags)
