"""The reads behind the soak rule (reconciler/policies/soak.py): the tags of the source environments'
capacity, and AWS's own clock (the `Date` header of those answers), so that "has it soaked 24 hours" is
judged on the same time the verified tags were written with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

from reconciler.aws.clients import AwsClients
from reconciler.aws.conversions import tags_to_dict
from reconciler.aws.discovery import run_all
from reconciler.core.desired import DesiredState
from reconciler.core.findings import Finding
from reconciler.core.live import LiveState, Scope
from reconciler.core.plan import Plan
from reconciler.manifests.model import Manifests
from reconciler.policies.soak import soak_findings, soak_tag_reads, upstream_capacities


def server_time(response: Mapping[str, Any]) -> datetime | None:
    """The time AWS answered at (the HTTP `Date` header), or None."""
    header = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if not header:
        return None
    try:
        return parsedate_to_datetime(str(header)).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _tags_and_time(clients: AwsClients, scope: Scope, arn: str) -> tuple[dict[str, str], datetime | None]:
    response = clients.bedrock(scope.account, scope.region).list_tags_for_resource(resourceARN=arn)
    return tags_to_dict(response.get("tags")), server_time(response)


def read_tags_and_time(
    clients: AwsClients, arns: Mapping[Scope, Sequence[str]], *, max_workers: int
) -> tuple[dict[str, dict[str, str]], datetime]:
    """Tags of each ARN, and the latest time AWS answered at (the local clock if no answer said)."""
    tasks = {
        (scope, arn): partial(_tags_and_time, clients, scope, arn)
        for scope, scope_arns in sorted(arns.items())
        for arn in dict.fromkeys(scope_arns)
    }
    results = run_all(
        tasks, scope_of=lambda key: key[0], max_workers=max_workers, subject_of=lambda key: key[1]
    )
    times = [moment for _, moment in results.values() if moment is not None]
    now = max(times) if times else datetime.now(UTC)
    return {arn: tags for (_, arn), (tags, _) in results.items()}, now


def soak_policy_findings(
    clients: AwsClients,
    manifests: Manifests,
    desired: DesiredState,
    live: LiveState,
    plan: Plan,
    *,
    max_workers: int,
) -> list[Finding]:
    """The soak rule's findings for this plan (no reads when no environment sets a soak time)."""
    reads = soak_tag_reads(manifests, desired, live, plan)
    tags, now = (
        read_tags_and_time(clients, reads, max_workers=max_workers) if reads else ({}, datetime.now(UTC))
    )
    return soak_findings(manifests, desired, plan, upstream_capacities(manifests, desired, live, tags), now)
