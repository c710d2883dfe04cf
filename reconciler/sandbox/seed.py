"""The estate the sandbox starts from: it matches the example manifests (see docs/ARCHITECTURE.md).

A dev account with three fine-tuned models in us-east-1; staging and prod accounts with nothing of ours yet,
and in staging one provisioned throughput made by hand, which the reconciler must never touch.
"""

from __future__ import annotations

from typing import Any

MANAGEMENT = "123456789012"
DEV = "111122223333"
STAGING = "444455556666"
PROD = "777788889999"

SEED_MODELS = {
    "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/fa1v1a2b3c4d": (
        "financial-analyst-v1",
        "amazon.titan-text-express-v1:0:8k",
        "2026-07-10T09:30:00+00:00",
    ),
    "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/fa2v2e5f6g7h": (
        "financial-analyst-v2",
        "amazon.titan-text-express-v1:0:8k",
        "2026-09-28T14:05:00+00:00",
    ),
    "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-lite-v1:0:300k/ss1v1k8m2n4p": (
        "support-summarizer-v1",
        "amazon.nova-lite-v1:0:300k",
        "2026-10-15T11:45:00+00:00",
    ),
}
MANUAL_THROUGHPUT_ARN = "arn:aws:bedrock:us-east-1:444455556666:provisioned-model/mx9exp0rt1ab"


def _empty_scope() -> dict[str, dict[str, Any]]:
    return {"models": {}, "copy_jobs": {}, "throughputs": {}, "deployments": {}}


def seed_state() -> dict[str, Any]:
    dev = _empty_scope()
    for arn, (name, base, created) in SEED_MODELS.items():
        dev["models"][arn] = {
            "name": name,
            "base_model_id": base,
            "customization_type": "FINE_TUNING",
            "status": "Active",
            "created": created,
            "owner": DEV,
            "kms_key": None,
            "job_arn": None,
            "tags": {"team": "ml-platform"},
        }
    staging = _empty_scope()
    staging["throughputs"][MANUAL_THROUGHPUT_ARN] = {
        "name": "manual-experiment",
        "model_arn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k",
        "desired_model_arn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k",
        "base_model_id": "amazon.titan-text-express-v1:0:8k",
        "units": 1,
        "desired_units": 1,
        "status": "InService",
        "commitment": None,
        "commitment_expiration": None,
        "created": "2026-11-02T08:00:00+00:00",
        "updated": "2026-11-02T08:20:00+00:00",
        "ready_at": "2026-11-02T08:20:00+00:00",
        "tags": {"owner": "research"},
        "token": None,
    }
    return {
        "format": 1,
        "sequence": 0,
        "organization": {
            "id": "o-exampleorgid1",
            "management_account": MANAGEMENT,
            "accounts": [MANAGEMENT, DEV, STAGING, PROD],
        },
        "bedrock": {f"{DEV}/us-east-1": dev, f"{STAGING}/us-east-1": staging},
        "ram": {"shares": {}, "invitations": {}},
    }
