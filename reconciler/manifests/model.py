"""The manifests as typed, validated data. Built by the loader; read by the desired-state core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from reconciler.manifests.verification import VerifySpec

CapacityType = Literal["provisioned", "on-demand", "none"]
Commitment = Literal["none", "OneMonth", "SixMonths"]
RuleSeverity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a manifest value was written (1-based line and column)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Capacity:
    type: CapacityType
    model_units: int = 0
    commitment: Commitment = "none"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    name: str
    model_arn: str
    location: Location
    # Free-form (evaluation results, approver...), read by policies; never sent to AWS.
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class DiscoverRule:
    """A Model's `spec.discover`: which custom models of its source account and Region are its versions
    (`versions discover`). Rules left None are not checked; the schema requires at least one."""

    base_model: str | None = None
    name_prefix: str | None = None
    job_name_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    source_account: str
    source_region: str
    versions: tuple[ModelVersion, ...]
    location: Location
    # Role to assume in the source account; falls back to the role of the environment in that account.
    source_role_arn: str | None = None
    # Where individual fields were written ("source.account", "versions[1].modelArn", ...).
    locations: Mapping[str, Location] = field(default_factory=dict, compare=False, hash=False)
    discover: DiscoverRule | None = None

    def where(self, key: str) -> Location:
        return self.locations.get(key, self.location)

    def version(self, name: str) -> ModelVersion | None:
        return next((v for v in self.versions if v.name == name), None)


@dataclass(frozen=True, slots=True)
class ModelPin:
    """An environment's choice of one version of one model, and the capacity to give it."""

    model: str
    version: str
    capacity: Capacity
    location: Location
    # Subset of the environment's Regions; None = all of them.
    regions: tuple[str, ...] | None = None
    # Where individual fields were written ("version", "regions[0]", ...), for precise errors.
    locations: Mapping[str, Location] = field(default_factory=dict, compare=False, hash=False)

    def where(self, key: str) -> Location:
        return self.locations.get(key, self.location)


@dataclass(frozen=True, slots=True)
class Policies:
    """An environment's `spec.policies` (evaluated by reconciler/policies); None / empty = rule not set."""

    promoted_from: str | None = None
    # `promotedFrom: {environment, soak}`: how long (seconds) the source must have served a version,
    # verified, before it may enter; None = no soak time.
    soak_seconds: int | None = None
    soak: str | None = None  # as written, e.g. "24h"
    allowed_regions: tuple[str, ...] | None = None
    allowed_accounts: tuple[str, ...] | None = None
    require_kms: bool = False
    # A JSON Schema over each pinned version's evidence.
    required_evidence: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    max_model_units: int | None = None
    allowed_commitments: tuple[Commitment, ...] | None = None
    protected: bool = False
    allow_removals: tuple[str, ...] = ()
    # Rule name -> severity; rules not listed are errors.
    severity: Mapping[str, RuleSeverity] = field(default_factory=dict, compare=False, hash=False)

    def severity_of(self, rule: str) -> RuleSeverity:
        return self.severity.get(rule, "error")


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    account_id: str
    role_arn: str
    regions: tuple[str, ...]
    models: tuple[ModelPin, ...]
    location: Location
    # Region -> KMS key (ARN, id or alias) that copies into that Region are encrypted with.
    kms_keys: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    prune: bool = False
    policies: Policies = field(default_factory=Policies)
    # `spec.verify`: model name -> smoke checks run through its capacity (manifests/verification.py).
    verify: Mapping[str, VerifySpec] = field(default_factory=dict, compare=False, hash=False)
    # Where individual fields were written ("account.id", "regions[1]", "kmsKeys.us-east-1",
    # "policies.promotedFrom", ...).
    locations: Mapping[str, Location] = field(default_factory=dict, compare=False, hash=False)

    def where(self, key: str) -> Location:
        return self.locations.get(key, self.location)

    def regions_for(self, pin: ModelPin) -> tuple[str, ...]:
        return pin.regions if pin.regions is not None else self.regions


@dataclass(frozen=True, slots=True)
class Backend:
    """Where apply keeps its lock (environments/backend.yaml); the defaults when there is none."""

    lock_table: str = "bedrock-gitops-locks"
    lock_region: str = "us-east-1"
    # None: the account of the credentials apply runs with.
    lock_account: str | None = None
    lock_role_arn: str | None = None
    lock_key: str = "bedrock-gitops"
    lease_seconds: int = 600
    location: Location | None = None
    # Where `lock.roleArn` / `lock.account` were written (for errors about them).
    locations: Mapping[str, Location] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Manifests:
    models: tuple[Model, ...]
    environments: tuple[Environment, ...]
    # sha256 over every manifest file's path and bytes: a saved plan records it to detect stale plans.
    fingerprint: str
    backend: Backend = field(default_factory=Backend)

    def model(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)

    def role_for_account(self, account_id: str) -> str | None:
        return self.roles_by_account().get(account_id)

    def roles_by_account(self) -> dict[str, str]:
        """The role to assume in each account: its environment's, else a model's source role. Built once per
        question over the whole estate (a lookup per account-Region would be quadratic in the accounts)."""
        roles = {m.source_account: m.source_role_arn for m in reversed(self.models) if m.source_role_arn}
        roles.update({e.account_id: e.role_arn for e in reversed(self.environments)})
        return roles
