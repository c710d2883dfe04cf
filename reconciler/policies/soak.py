"""Soak time (`promotedFrom: {environment: staging, soak: 24h}`): a version may enter an environment only
once the environment it is promoted from has served it, verified, for at least the soak time.

Judged from live state: the `bedrock-gitops:verified=<version>@<time>` tag that a passing verification
leaves on each of the source environment's capacities for the model (reconciler/core/verification.py),
against AWS's current time. The soak counts from the last of those capacities to be verified. Pure: the
shell reads the tags (`soak_tag_reads` says which) and passes them in.

Only a version the source environment pins *now* is judged: a version it has moved past (a rollback
downstream) has no tag left to judge and is not held back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.core.capacity_plan import serving_throughput
from reconciler.core.desired import DesiredCapacity, DesiredState
from reconciler.core.findings import Finding
from reconciler.core.live import LiveState, Scope
from reconciler.core.plan import Plan
from reconciler.core.verification import VERIFIED_TAG, parse_verified_tag
from reconciler.manifests.model import Environment, Manifests, ModelPin
from reconciler.policies.context import finding
from reconciler.policies.plan_rules import ARRIVING, _parts


@dataclass(frozen=True, slots=True)
class UpstreamCapacity:
    """A source environment's capacity as found in AWS: its ARN (None: not there) and tags."""

    address: str
    arn: str | None
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SoakVerdict:
    satisfied: bool
    # When the soak is (or was) satisfied; None when it cannot start (not verified).
    satisfied_at: datetime | None
    # Why not, for a message: "" when satisfied.
    reason: str


def live_capacity_arn(live: LiveState, capacity: DesiredCapacity) -> str | None:
    """The ARN of the live throughput or deployment that is `capacity` (a throughput a resize made, too)."""
    if capacity.kind == "provisioned":
        throughput = serving_throughput(capacity, live)
        return throughput.arn if throughput is not None else None
    scope = live.scope(capacity.account, capacity.region)
    return next((d.arn for d in scope.deployments if d.name == capacity.name), None)


def _soaking_pins(manifests: Manifests, environment: Environment) -> Iterator[tuple[ModelPin, Environment]]:
    """(pin, source environment) for each pin of `environment` whose version the source pins too."""
    if environment.policies.soak_seconds is None:
        return
    source = next((e for e in manifests.environments if e.name == environment.policies.promoted_from), None)
    if source is None:
        return
    for pin in environment.models:
        source_pin = next((p for p in source.models if p.model == pin.model), None)
        if source_pin is not None and source_pin.version == pin.version:
            yield pin, source


def _arriving(plan: Plan, environment: str, model: str) -> bool:
    return any(
        action.change in ARRIVING
        and (parts := _parts(action.address)) is not None
        and parts[0] == environment
        and parts[2] == model
        for action in plan.actions
    )


def _source_capacities(desired: DesiredState, source: str, model: str) -> list[DesiredCapacity]:
    return sorted(
        (c for c in desired.capacities if c.environment == source and c.model == model),
        key=lambda c: c.address,
    )


def soak_tag_reads(
    manifests: Manifests, desired: DesiredState, live: LiveState, plan: Plan
) -> dict[Scope, list[str]]:
    """The ARNs whose tags the soak rule needs: the source environment's capacity for each version that
    this plan brings into an environment with a soak time."""
    reads: dict[Scope, list[str]] = {}
    for environment in manifests.environments:
        for pin, source in _soaking_pins(manifests, environment):
            if not _arriving(plan, environment.name, pin.model):
                continue
            for capacity in _source_capacities(desired, source.name, pin.model):
                arn = live_capacity_arn(live, capacity)
                if arn is not None:
                    reads.setdefault(Scope(capacity.account, capacity.region), []).append(arn)
    return reads


def upstream_capacities(
    manifests: Manifests, desired: DesiredState, live: LiveState, tags: Mapping[str, Mapping[str, str]]
) -> dict[str, UpstreamCapacity]:
    """Address -> UpstreamCapacity for every capacity the manifests declare (tags where read)."""
    found = {}
    for capacity in desired.capacities:
        arn = live_capacity_arn(live, capacity)
        found[capacity.address] = UpstreamCapacity(capacity.address, arn, tags.get(arn or "", {}))
    return found


def soak_verdict(
    version: str,
    soak_seconds: int,
    capacities: list[DesiredCapacity],
    upstream: Mapping[str, UpstreamCapacity],
    now: datetime,
) -> SoakVerdict:
    """Whether `version` has soaked `soak_seconds` on every one of `capacities` (the source environment's
    capacity for the model), and since when. Reusable by anything that asks "may this version move on?"."""
    if not capacities:
        return SoakVerdict(False, None, "it serves the model without capacity, so nothing was verified")
    moments = []
    for capacity in capacities:
        found = upstream.get(capacity.address)
        if found is None or found.arn is None:
            return SoakVerdict(False, None, f"{capacity.address} does not exist yet (apply it first)")
        parsed = parse_verified_tag(found.tags.get(VERIFIED_TAG))
        if parsed is None or parsed[0] != version:
            tagged = f" (it is tagged {VERIFIED_TAG}={found.tags[VERIFIED_TAG]})" if parsed else ""
            return SoakVerdict(
                False, None, f"{capacity.address} has not passed verification on {version}{tagged}"
            )
        moments.append(parsed[1])
    satisfied_at = max(moments) + timedelta(seconds=soak_seconds)
    return SoakVerdict(now >= satisfied_at, satisfied_at, "" if now >= satisfied_at else "soaking")


def format_duration(seconds: float) -> str:
    """23h52m, 1d3h, 45m, 30s: the time left, rounded up to the minute past a minute."""
    whole = int(seconds)
    if whole < 60:
        return f"{max(whole, 1)}s"
    minutes = -(-whole // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def soak_findings(
    manifests: Manifests,
    desired: DesiredState,
    plan: Plan,
    upstream: Mapping[str, UpstreamCapacity],
    now: datetime,
) -> list[Finding]:
    findings = []
    for environment in manifests.environments:
        soak = environment.policies.soak_seconds
        for pin, source in _soaking_pins(manifests, environment):
            if soak is None or not _arriving(plan, environment.name, pin.model):
                continue
            capacities = _source_capacities(desired, source.name, pin.model)
            verdict = soak_verdict(pin.version, soak, capacities, upstream, now)
            if verdict.satisfied:
                continue
            written = environment.policies.soak
            where = environment.where("policies.promotedFrom.soak")
            if verdict.satisfied_at is None:
                findings.append(
                    finding(
                        environment,
                        "promotedFrom",
                        pin.where("version"),
                        f"soak: {pin.model} {pin.version} cannot enter {environment.name}: {source.name} "
                        f"must serve it, verified, for {written} first, and {verdict.reason}",
                        f"declare spec.verify for {pin.model} in environments/{source.name} and apply "
                        f"{pin.version} there (verification tags its capacity), then wait {written} "
                        f"(soak set at {where.file}:{where.line}:{where.column})",
                    )
                )
                continue
            left = format_duration((verdict.satisfied_at - now).total_seconds())
            until = verdict.satisfied_at.strftime("%Y-%m-%d %H:%M UTC")
            findings.append(
                finding(
                    environment,
                    "promotedFrom",
                    pin.where("version"),
                    f"soak: {left} left: {pin.model} {pin.version} may enter {environment.name} once "
                    f"{source.name} has served it, verified, for {written}: satisfied at {until}",
                    f"plan again after {until}; or, if it cannot wait, shorten policies.promotedFrom.soak "
                    f"({where.file}:{where.line}:{where.column}) in a reviewed pull request",
                )
            )
    return findings
