"""Desired state: every resource the manifests call for, computed from the manifests alone (pure).

For each environment, each pinned model version and each Region the environment serves it in:
- the source account shares the version (one RAM share per version, in the source Region) with the
  environment's account, unless that is the source account itself;
- a model copy into (account, Region), unless it is the source account's own source Region (capacity then
  points at the fine-tuned model itself);
- the capacity: provisioned throughput or an on-demand custom model deployment (or none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler import ENVIRONMENT_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE, MODEL_TAG, VERSION_TAG
from reconciler.core.names import capacity_name, copy_name, share_name
from reconciler.manifests.model import Commitment, Environment, Manifests, Model, ModelPin

CapacityKind = Literal["provisioned", "on-demand"]


@dataclass(frozen=True, slots=True)
class DesiredShare:
    """One RAM share of one model version, owned by the source account, in the source Region."""

    address: str  # share/<model>/<version>
    model: str
    version: str
    owner_account: str
    region: str
    model_arn: str
    name: str
    principals: tuple[str, ...]  # recipient account ids, sorted
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DesiredCopy:
    """The copy of one model version into one environment's account and Region."""

    address: str  # <env>/<region>/<model>/copy
    environment: str
    model: str
    version: str
    account: str
    region: str
    source_model_arn: str
    source_account: str
    target_model_name: str
    kms_key: str | None
    tags: Mapping[str, str]
    # The share this copy needs (None when the environment is in the source account).
    share_address: str | None


@dataclass(frozen=True, slots=True)
class DesiredCapacity:
    address: str  # <env>/<region>/<model>/throughput | deployment
    kind: CapacityKind
    environment: str
    model: str
    version: str
    account: str
    region: str
    name: str
    # The model it serves: the copy's address when a copy is needed, else the source model's ARN.
    copy_address: str | None
    source_model_arn: str
    model_units: int
    commitment: Commitment
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DesiredState:
    shares: tuple[DesiredShare, ...]
    copies: tuple[DesiredCopy, ...]
    capacities: tuple[DesiredCapacity, ...]
    # account id -> environment name, for every environment (the account the environment owns).
    environment_of_account: Mapping[str, str] = field(default_factory=dict)
    # Environments that prune on their own (spec.prune), by account.
    pruning_accounts: frozenset[str] = frozenset()
    # Regions each environment's account is managed in.
    managed_scopes: frozenset[tuple[str, str]] = frozenset()

    def copy(self, address: str) -> DesiredCopy | None:
        return next((c for c in self.copies if c.address == address), None)


def ownership_tags(model: str, version: str, environment: str | None = None) -> dict[str, str]:
    tags = {MANAGED_BY_TAG: MANAGED_BY_VALUE, MODEL_TAG: model, VERSION_TAG: version}
    if environment is not None:
        tags[ENVIRONMENT_TAG] = environment
    return tags


def share_address(model: str, version: str) -> str:
    return f"share/{model}/{version}"


def resource_address(environment: str, region: str, model: str, kind: str) -> str:
    return f"{environment}/{region}/{model}/{kind}"


def desired_state(manifests: Manifests) -> DesiredState:
    recipients: dict[tuple[str, str], set[str]] = {}
    copies: list[DesiredCopy] = []
    capacities: list[DesiredCapacity] = []
    for environment in manifests.environments:
        for pin in environment.models:
            model = manifests.model(pin.model)
            version = model.version(pin.version) if model else None
            if model is None or version is None:
                continue  # the loader reports unknown references; desired state covers valid manifests
            needs_share = environment.account_id != model.source_account
            if needs_share:
                recipients.setdefault((model.name, version.name), set()).add(environment.account_id)
            for region in environment.regions_for(pin):
                copy = _copy(environment, pin, model, version.model_arn, region, needs_share)
                if copy is not None:
                    copies.append(copy)
                capacity = _capacity(environment, pin, version.model_arn, region, copy)
                if capacity is not None:
                    capacities.append(capacity)
    shares = [
        _share(model, version_name, sorted(accounts))
        for (model_name, version_name), accounts in sorted(recipients.items())
        if (model := manifests.model(model_name)) is not None
    ]
    return DesiredState(
        shares=tuple(shares),
        copies=tuple(sorted(copies, key=lambda c: c.address)),
        capacities=tuple(sorted(capacities, key=lambda c: c.address)),
        environment_of_account={env.account_id: env.name for env in manifests.environments},
        pruning_accounts=frozenset(env.account_id for env in manifests.environments if env.prune),
        managed_scopes=frozenset(
            (env.account_id, region) for env in manifests.environments for region in env.regions
        ),
    )


def _share(model: Model, version_name: str, principals: list[str]) -> DesiredShare:
    version = model.version(version_name)
    assert version is not None  # built from pins whose version exists
    return DesiredShare(
        address=share_address(model.name, version_name),
        model=model.name,
        version=version_name,
        owner_account=model.source_account,
        region=model.source_region,
        model_arn=version.model_arn,
        name=share_name(model.name, version_name),
        principals=tuple(principals),
        tags=ownership_tags(model.name, version_name),
    )


def _copy(
    environment: Environment, pin: ModelPin, model: Model, model_arn: str, region: str, needs_share: bool
) -> DesiredCopy | None:
    # A shared model must be copied before use, even into its own Region; the owner uses it in place there.
    if not needs_share and region == model.source_region:
        return None
    return DesiredCopy(
        address=resource_address(environment.name, region, model.name, "copy"),
        environment=environment.name,
        model=model.name,
        version=pin.version,
        account=environment.account_id,
        region=region,
        source_model_arn=model_arn,
        source_account=model.source_account,
        target_model_name=copy_name(model.name, pin.version),
        kms_key=environment.kms_keys.get(region),
        tags=ownership_tags(model.name, pin.version, environment.name),
        share_address=share_address(model.name, pin.version) if needs_share else None,
    )


def _capacity(
    environment: Environment, pin: ModelPin, model_arn: str, region: str, copy: DesiredCopy | None
) -> DesiredCapacity | None:
    if pin.capacity.type == "none":
        return None
    kind: CapacityKind = pin.capacity.type
    return DesiredCapacity(
        address=resource_address(
            environment.name, region, pin.model, "throughput" if kind == "provisioned" else "deployment"
        ),
        kind=kind,
        environment=environment.name,
        model=pin.model,
        version=pin.version,
        account=environment.account_id,
        region=region,
        name=capacity_name(environment.name, pin.model),
        copy_address=copy.address if copy else None,
        source_model_arn=model_arn,
        model_units=pin.capacity.model_units,
        commitment=pin.capacity.commitment,
        tags=ownership_tags(pin.model, pin.version, environment.name),
    )
