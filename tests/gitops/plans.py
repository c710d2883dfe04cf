"""Hand-made plans for comment tests (no AWS needed)."""

from __future__ import annotations

from reconciler.core.findings import Finding
from reconciler.core.plan import Action, Plan, Ref, Removal

# A Titan source: the price table prices it (these plans are data for the comment, not sent to AWS).
SOURCE = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/fa2v2e5f6g7h"


def copy_action(env: str, region: str, model: str, reason: str = "not here yet") -> Action:
    return Action(
        address=f"{env}/{region}/{model}/copy",
        change="create",
        service="bedrock",
        operation="CreateModelCopyJob",
        account="777788889999",
        region=region,
        params={"sourceModelArn": SOURCE, "targetModelName": f"{model}-v2"},
        reason=reason,
        wave=1,
        after={"model": f"{model}-v2", "version": "v2", "source": SOURCE},
    )


def throughput_action(env: str, region: str, model: str, units: int = 1, term: str = "OneMonth") -> Action:
    params: dict[str, object] = {
        "provisionedModelName": f"{env}-{model}",
        "modelUnits": units,
        "modelId": Ref(f"{env}/{region}/{model}/copy", "targetModelArn"),
    }
    if term != "none":
        params["commitmentDuration"] = term
    return Action(
        address=f"{env}/{region}/{model}/throughput",
        change="create",
        service="bedrock",
        operation="CreateProvisionedModelThroughput",
        account="777788889999",
        region=region,
        params=params,
        reason="no provisioned throughput serves this model here",
        wave=2,
    )


def make_plan(
    actions: tuple[Action, ...] = (),
    removals: tuple[Removal, ...] = (),
    findings: tuple[Finding, ...] = (),
    warnings: tuple[str, ...] = (),
) -> Plan:
    return Plan(
        actions=actions,
        removals=removals,
        manifests_fingerprint="a" * 64,
        live_fingerprint="b" * 64,
        created_at="2026-11-25T08:00:00Z",
        warnings=warnings,
        findings=findings,
    )


def big_plan(environments: int, regions: int, models: int) -> Plan:
    actions = []
    for e in range(environments):
        for r in range(regions):
            region = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"][r % 5]
            for m in range(models):
                actions.append(copy_action(f"env{e}", region, f"model-{r // 5}-{m}"))
                actions.append(throughput_action(f"env{e}", region, f"model-{r // 5}-{m}"))
    return make_plan(tuple(actions))
