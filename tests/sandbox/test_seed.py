"""The seed estate matches docs/ARCHITECTURE.md and the example manifests, and nothing more."""

from __future__ import annotations

import json
from datetime import datetime

from reconciler.sandbox import arns
from reconciler.sandbox.seed import MANUAL_THROUGHPUT_ARN, seed_state
from tests.sandbox.handler_support import DEV, STAGING, World

EXPECTED_MODELS = {
    "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d": (
        "financial-analyst-v1"
    ),
    "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa2v2e5f6g7h": (
        "financial-analyst-v2"
    ),
    "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-lite-v1:0:300k/ss1v1k8m2n4p": (
        "support-summarizer-v1"
    ),
}


def test_document_shape() -> None:
    state = seed_state()
    assert set(state) == {"format", "sequence", "organization", "bedrock", "ram", "kms", "service_quotas"}
    assert (state["format"], state["sequence"]) == (1, 0)
    assert state["organization"] == {
        "id": "o-exampleorgid1",
        "management_account": "123456789012",
        "accounts": ["123456789012", "111122223333", "444455556666", "777788889999"],
    }
    assert state["ram"] == {"shares": {}, "invitations": {}}
    assert set(state["bedrock"]) == {f"{DEV}/us-east-1", f"{STAGING}/us-east-1"}
    assert json.loads(json.dumps(state)) == state


def test_dev_models() -> None:
    dev = seed_state()["bedrock"][f"{DEV}/us-east-1"]
    assert {arn: model["name"] for arn, model in dev["models"].items()} == EXPECTED_MODELS
    for model in dev["models"].values():
        assert (model["status"], model["customization_type"], model["owner"]) == (
            "Active",
            "FINE_TUNING",
            DEV,
        )
        assert datetime.fromisoformat(model["created"]).year == 2026
    assert not any(dev[kind] for kind in ("copy_jobs", "throughputs", "deployments"))


def test_staging_has_only_the_hand_made_throughput() -> None:
    staging = seed_state()["bedrock"][f"{STAGING}/us-east-1"]
    assert not any(staging[kind] for kind in ("models", "copy_jobs", "deployments"))
    [(arn, throughput)] = staging["throughputs"].items()
    assert arn == MANUAL_THROUGHPUT_ARN
    foundation_model = arns.foundation_model_arn("us-east-1", "amazon.nova-lite-v1:0:300k")
    assert throughput["name"] == "manual-experiment"
    assert (throughput["status"], throughput["model_arn"], throughput["commitment"]) == (
        "InService",
        foundation_model,
        None,
    )
    assert throughput["tags"] == {}  # unmanaged: the reconciler never touches it


def test_each_call_returns_an_independent_copy() -> None:
    first = seed_state()
    first["bedrock"][f"{DEV}/us-east-1"]["models"].clear()
    assert len(seed_state()["bedrock"][f"{DEV}/us-east-1"]["models"]) == 3


def test_seed_reads_back_through_the_handlers() -> None:
    world = World()
    assert world.model_names(DEV) == ["support-summarizer-v1", "financial-analyst-v2", "financial-analyst-v1"]
    view = world.bedrock("GetProvisionedModelThroughput", STAGING, provisionedModelId="manual-experiment")
    assert (view["provisionedModelArn"], view["status"]) == (MANUAL_THROUGHPUT_ARN, "InService")
    assert world.bedrock("ListTagsForResource", STAGING, resourceARN=MANUAL_THROUGHPUT_ARN)["tags"] == []
