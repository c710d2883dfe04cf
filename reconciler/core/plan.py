"""A plan is data: ordered actions, each one exact AWS request, that can be saved, shown and applied later.

Modelled on Terraform's saved plans: it records the fingerprints of the manifests and of the live state it
was computed from, so that applying it after either changed can be refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.core.findings import Finding, count_errors

PLAN_FORMAT_VERSION = 1

Change = Literal["create", "update", "delete", "wait"]
Service = Literal["bedrock", "ram"]


@dataclass(frozen=True, slots=True)
class Ref:
    """A request value that is only known once an earlier action has run ("known after apply").

    Serialised as {"$ref": address, "attribute": attribute}; e.g. the targetModelArn of a copy that a
    provisioned throughput will serve.
    """

    address: str
    attribute: str


@dataclass(frozen=True, slots=True)
class Action:
    """One AWS call the apply will make, in one account/Region.

    `address` names the managed resource (stable across plans, like a Terraform address), e.g.
    "prod.us-west-2.financial-analyst.copy". `params` is the exact request for `operation` (botocore
    names), possibly holding Ref values.
    """

    address: str
    change: Change
    service: Service
    operation: str
    account: str
    region: str
    params: Mapping[str, Any]
    reason: str
    depends_on: tuple[str, ...] = ()
    # Dependency wave (0 first); actions of one wave are independent of each other.
    wave: int = 0
    # What the resource looks like before/after, for display: attribute -> value.
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Removal:
    """A managed resource (carries our ownership tags) that the manifests no longer declare, and that this
    plan will NOT remove (pruning is off, or removal is unsafe). Removals that will happen are `delete`
    actions instead."""

    address: str
    kind: str  # share | share-principal | copy | provisioned-throughput | deployment
    account: str
    region: str
    arn: str
    reason: str
    # Why it is kept, e.g. "pruning is disabled" or "committed until 2027-01-01T00:00:00Z".
    blocked_by: str


@dataclass(frozen=True, slots=True)
class Plan:
    actions: tuple[Action, ...]
    removals: tuple[Removal, ...]
    manifests_fingerprint: str
    live_fingerprint: str
    created_at: str  # ISO 8601, UTC
    prune: bool = False
    format_version: int = PLAN_FORMAT_VERSION
    # Things a reviewer must know that are not changes, e.g. a declared name held by an unmanaged resource.
    warnings: tuple[str, ...] = ()
    # Policy and preflight findings (reconciler/core/findings.py), errors first; an error blocks the plan.
    findings: tuple[Finding, ...] = ()
    # A partial plan's environments (`--environment`, core/plan_scope.py); () is the whole estate.
    scope: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.scope)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def has_drift(self) -> bool:
        """Changes to make, or managed resources the manifests no longer declare (still in AWS, still
        billing) that this plan keeps: either way AWS does not match the manifests."""
        return bool(self.actions or self.removals)

    @property
    def blocked(self) -> bool:
        """True when a policy or preflight error forbids applying this plan."""
        return count_errors(self.findings) > 0

    def summary(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "destroy": 0, "wait": 0, "pending_prune": 0}
        for action in self.actions:
            counts[
                {"create": "add", "update": "change", "delete": "destroy", "wait": "wait"}[action.change]
            ] += 1
        counts["pending_prune"] = len(self.removals)
        return counts
