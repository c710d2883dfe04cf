"""The IAM policy generator grants verification's invocations on each environment's capacity only."""

from __future__ import annotations

from pathlib import Path

from reconciler.aws.iam_policy import account_policies, allows
from reconciler.manifests.load import load_manifests
from reconciler.sandbox import seed

REPO = Path(__file__).resolve().parents[2]


def test_invoke_model_is_granted_on_capacity_arns_only() -> None:
    manifests = load_manifests(REPO)
    policies = account_policies(manifests)
    regions = next(env.regions for env in manifests.environments if env.name == "staging")
    staging = policies[seed.STAGING]
    invoking = [s for s in staging["Statement"] if "bedrock:InvokeModel" in s["Action"]]
    assert len(invoking) == 1
    assert invoking[0]["Action"] == ["bedrock:InvokeModel"]
    assert invoking[0]["Resource"] == [
        f"arn:aws:bedrock:{region}:{seed.STAGING}:{kind}/*"
        for region in sorted(regions)
        for kind in ("provisioned-model", "custom-model-deployment")
    ]
    # Converse is authorised by bedrock:InvokeModel; the base credentials never invoke.
    assert allows(staging, "bedrock-runtime", "Converse")
    assert not allows(policies["base"], "bedrock-runtime", "InvokeModel")
    assert allows(staging, "bedrock", "GetEvaluationJob")
