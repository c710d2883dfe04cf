"""Smoke verification against AWS: invoke each declared capacity with its environment's `spec.verify`
prompts (`bedrock-runtime` InvokeModel / Converse, with the provisioned model ARN or the deployment ARN as
`modelId`), judge the answers (reconciler/core/verification.py), and tag capacity that passes with
`bedrock-gitops:verified=<version>@<time>` (AWS's time: the `Date` of its answers).

Invoking never changes a resource; tagging (apply only) changes only the verified tag of managed capacity.
Nothing is rolled back when a check fails: the failure is reported and the caller exits 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.clients import AwsClients
from reconciler.aws.discovery import discover
from reconciler.aws.limits import DEFAULT_MAX_WORKERS
from reconciler.aws.soak_reads import server_time
from reconciler.core.desired import DesiredState, desired_state
from reconciler.core.live import LiveState, Scope
from reconciler.core.scopes import ScopeRead, scopes_to_read
from reconciler.core.tags import is_managed
from reconciler.core.verification import (
    VERIFIED_TAG,
    CapacityVerification,
    PromptResult,
    VerifyTarget,
    base_model_id,
    capacity_to_invoke,
    converse_text,
    failed_prompt,
    judge,
    native_text,
    parse_verified_tag,
    tag_to_write,
    verification_targets,
)
from reconciler.manifests.model import Manifests
from reconciler.manifests.verification import VerifyPrompt

LATENCY_HEADER = "x-amzn-bedrock-invocation-latency"


@dataclass(frozen=True)
class VerificationRun:
    results: tuple[CapacityVerification, ...]
    # The latest time AWS answered at (the local clock if it never said).
    server_time: datetime

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)


def verify_capacity(
    clients: AwsClients,
    manifests: Manifests,
    *,
    environment: str | None = None,
    addresses: Collection[str] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> VerificationRun:
    """Verify every capacity with a `spec.verify` (only `environment`'s, only `addresses`, when given)."""
    desired = desired_state(manifests)
    targets = [
        target
        for target in verification_targets(manifests, desired, environment=environment)
        if addresses is None or target.capacity.address in addresses
    ]
    if not targets:
        return VerificationRun((), datetime.now(UTC))
    live = _read_live(clients, manifests, targets, max_workers)
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(targets)))) as pool:
        outcomes = list(pool.map(lambda target: _verify_one(clients, target, desired, live), targets))
    times = [moment for _, moment in outcomes if moment is not None]
    return VerificationRun(
        tuple(result for result, _ in outcomes), max(times) if times else datetime.now(UTC)
    )


def tag_verified(clients: AwsClients, run: VerificationRun) -> VerificationRun:
    """Tag each capacity that passed with `bedrock-gitops:verified=<version>@<time>`, keeping the time of
    an earlier pass on the same version (the soak counts from it). Only managed capacity is tagged."""
    tagged = []
    for result in run.results:
        if not result.passed or result.capacity_arn is None:
            tagged.append(result)
            continue
        bedrock = clients.bedrock(result.account, result.region)
        tags = {
            t["key"]: t["value"]
            for t in bedrock.list_tags_for_resource(resourceARN=result.capacity_arn)["tags"]
        }
        if not is_managed(tags):
            tagged.append(result)  # not ours (never touched), so it carries no verified tag
            continue
        value = tag_to_write(tags.get(VERIFIED_TAG), result.version, run.server_time)
        if value is not None:
            bedrock.tag_resource(
                resourceARN=result.capacity_arn, tags=[{"key": VERIFIED_TAG, "value": value}]
            )
        kept = parse_verified_tag(value or tags.get(VERIFIED_TAG))
        since = kept[1].strftime("%Y-%m-%dT%H:%M:%SZ") if kept else None
        tagged.append(replace(result, verified_at=since))
    return VerificationRun(tuple(tagged), run.server_time)


def _read_live(
    clients: AwsClients, manifests: Manifests, targets: Sequence[VerifyTarget], max_workers: int
) -> LiveState:
    roles = {scope: read.role_arn for scope, read in scopes_to_read(manifests).items()}
    reads = {}
    for target in targets:
        scope = Scope(target.capacity.account, target.capacity.region)
        reads[scope] = ScopeRead(scope, roles.get(scope, ""), bedrock=True, shares=False, invitations=False)
    return discover(clients, reads, max_workers=max_workers)


def _verify_one(
    clients: AwsClients, target: VerifyTarget, desired: DesiredState, live: LiveState
) -> tuple[CapacityVerification, datetime | None]:
    capacity = target.capacity
    arn, problem = capacity_to_invoke(target, desired, live)
    result = CapacityVerification(
        address=capacity.address,
        environment=capacity.environment,
        model=capacity.model,
        version=capacity.version,
        account=capacity.account,
        region=capacity.region,
        capacity_arn=arn,
        prompts=(),
        min_passing=target.spec.min_passing,
        problem=problem,
    )
    if problem or arn is None:
        return result, None
    prompts: list[PromptResult] = []
    latest: datetime | None = None
    for prompt in target.spec.prompts:
        outcome, answered_at = _ask(clients, target, arn, prompt)
        prompts.append(outcome)
        if answered_at is not None:
            latest = max(latest, answered_at) if latest else answered_at
    return replace(result, prompts=tuple(prompts)), latest


def _ask(
    clients: AwsClients, target: VerifyTarget, arn: str, prompt: VerifyPrompt
) -> tuple[PromptResult, datetime | None]:
    capacity = target.capacity
    runtime = clients.client("bedrock-runtime", capacity.account, capacity.region)
    started = time.monotonic()
    try:
        if prompt.api == "converse":
            response: Mapping[str, Any] = runtime.converse(modelId=arn, **dict(prompt.request))
            answer = converse_text(response)
            reported = response.get("metrics", {}).get("latencyMs")
        else:
            response = runtime.invoke_model(
                modelId=arn,
                body=json.dumps(dict(prompt.request)).encode(),
                contentType="application/json",
                accept="application/json",
            )
            raw = response["body"].read()
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            answer = native_text(base_model_id(capacity), body)
            header = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(LATENCY_HEADER)
            reported = int(header) if header and str(header).isdigit() else None
    except ClientError as error:
        details = error.response.get("Error", {})
        operation = "Converse" if prompt.api == "converse" else "InvokeModel"
        reason = f"{operation} failed: {details.get('Code', 'Unknown')}: {details.get('Message', str(error))}"
        return failed_prompt(prompt, reason), server_time(error.response)
    except BotoCoreError as error:
        return failed_prompt(prompt, f"no answer: {error}"), None
    measured = int((time.monotonic() - started) * 1000)
    latency = int(reported) if reported is not None else measured
    return judge(prompt, answer, latency), server_time(response)
