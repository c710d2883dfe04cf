"""The estate the sandbox starts from; it matches the example manifests (see docs/ARCHITECTURE.md).

The dev account holds three fine-tuned models in us-east-1. Staging and prod hold nothing of ours; staging has
one provisioned throughput made by hand (no ownership tags), which the reconciler must never touch. No RAM
shares yet. The transport adds "settings" and "clock" to the document.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox import arns

STATE_FORMAT = 1
ORGANIZATION_ID = "o-exampleorgid1"
MANAGEMENT = "123456789012"
DEV = "111122223333"
STAGING = "444455556666"
PROD = "777788889999"
REGION = "us-east-1"

NOVA_PRO_300K = "amazon.nova-pro-v1:0:300k"
NOVA_LITE_300K = "amazon.nova-lite-v1:0:300k"

FINANCIAL_ANALYST_V1 = arns.custom_model_arn(REGION, DEV, NOVA_PRO_300K, "fa1v1a2b3c4d")
FINANCIAL_ANALYST_V2 = arns.custom_model_arn(REGION, DEV, NOVA_PRO_300K, "fa2v2e5f6g7h")
SUPPORT_SUMMARIZER_V1 = arns.custom_model_arn(REGION, DEV, NOVA_LITE_300K, "ss1v1k8m2n4p")
MANUAL_THROUGHPUT_ARN = arns.provisioned_model_arn(REGION, STAGING, "mx9exp0rt1ab")
MANUAL_THROUGHPUT_NAME = "manual-experiment"

# model ARN -> (name, base model id, creation time, customization job id)
SEED_MODELS: dict[str, tuple[str, str, str, str]] = {
    FINANCIAL_ANALYST_V1: (
        "financial-analyst-v1",
        NOVA_PRO_300K,
        "2026-07-10T09:30:00+00:00",
        "fj1a2b3c4d5e",
    ),
    FINANCIAL_ANALYST_V2: (
        "financial-analyst-v2",
        NOVA_PRO_300K,
        "2026-09-28T14:05:00+00:00",
        "fj2f6g7h8i9j",
    ),
    SUPPORT_SUMMARIZER_V1: (
        "support-summarizer-v1",
        NOVA_LITE_300K,
        "2026-10-15T11:45:00+00:00",
        "sj1k2m3n4p5q",
    ),
}


def _empty_scope() -> dict[str, dict[str, Any]]:
    return {"models": {}, "copy_jobs": {}, "throughputs": {}, "deployments": {}}


def custom_model(arn: str, name: str, base_model_id: str, created: str, job_id: str) -> dict[str, Any]:
    """The state document of a fine-tuned model (a Completed customization job in `job_id`), owned here."""
    return {
        "name": name,
        "base_model_id": base_model_id,
        "customization_type": "FINE_TUNING",
        "status": "Active",
        "created": created,
        "owner": DEV,
        "kms_key": None,
        "job_arn": arns.model_customization_job_arn(REGION, DEV, base_model_id, job_id),
        "job_name": f"{name}-training",
        "copied_from": None,
        "tags": {},
    }


def _manual_throughput() -> dict[str, Any]:
    # A base model throughput (Nova Lite 300k: provisioned throughput in us-east-1).
    foundation_model = arns.foundation_model_arn(REGION, NOVA_LITE_300K)
    return {
        "name": MANUAL_THROUGHPUT_NAME,
        "model_arn": foundation_model,
        "desired_model_arn": foundation_model,
        "base_model_id": NOVA_LITE_300K,
        "units": 1,
        "desired_units": 1,
        "status": "InService",
        "commitment": None,
        "commitment_expiration": None,
        "created": "2026-11-02T08:00:00+00:00",
        "updated": "2026-11-02T08:20:00+00:00",
        "ready_at": "2026-11-02T08:20:00+00:00",
        "tags": {},
        "token": None,
        "fingerprint": None,
    }


# The customer managed keys prod encrypts its copies with (environments/prod.yaml kmsKeys); their policies
# let the reconciler's role use them for model copies, as the preflight check expects.
PROD_KEYS = {
    "us-east-1": "0f3c2b1a-4d5e-4f60-8a7b-9c8d7e6f5a41",
    "us-west-2": "7a6b5c4d-3e2f-4a1b-9c0d-e1f2a3b4c5d6",
}
KMS_COPY_ACTIONS = ["kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt"]


def _kms() -> dict[str, Any]:
    from reconciler.sandbox.governance import key_policy

    role = f"arn:aws:iam::{PROD}:role/BedrockGitOpsReconciler"
    policy = key_policy(
        PROD,
        {
            "Sid": "AllowBedrockGitOpsModelCopies",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": KMS_COPY_ACTIONS,
            "Resource": "*",
        },
    )
    return {
        f"{PROD}/{region}": {
            key_id: {"description": f"prod model copies in {region}", "state": "Enabled", "policy": policy}
        }
        for region, key_id in PROD_KEYS.items()
    }


# Model evaluation jobs in dev (GetEvaluationJob): one Completed evaluation of financial-analyst v2's
# responses, one still running, one Completed of another model.
EVALUATION_COMPLETED = f"arn:aws:bedrock:{REGION}:{DEV}:evaluation-job/fa2eval0done"
EVALUATION_RUNNING = f"arn:aws:bedrock:{REGION}:{DEV}:evaluation-job/fa2eval0runs"
EVALUATION_OTHER_MODEL = f"arn:aws:bedrock:{REGION}:{DEV}:evaluation-job/ss1eval0done"


def _evaluation_jobs() -> list[tuple[str, dict[str, Any]]]:
    from reconciler.sandbox.bedrock_evaluation import seeded_job

    v2 = SEED_MODELS[FINANCIAL_ANALYST_V2][0]
    summarizer = SEED_MODELS[SUPPORT_SUMMARIZER_V1][0]
    created = "2026-10-01T10:00:00+00:00"
    return [
        seeded_job(
            DEV,
            REGION,
            "fa2eval0done",
            status="Completed",
            evaluated=v2,
            dataset="fin-qa-holdout",
            created=created,
        ),
        seeded_job(
            DEV,
            REGION,
            "fa2eval0runs",
            status="InProgress",
            evaluated=v2,
            dataset="fin-qa-holdout",
            created=created,
        ),
        seeded_job(
            DEV,
            REGION,
            "ss1eval0done",
            status="Completed",
            evaluated=summarizer,
            dataset="tickets",
            created=created,
        ),
    ]


def seed_state() -> dict[str, Any]:
    """A fresh copy of the seed document: callers may mutate it freely."""
    dev = _empty_scope()
    for arn, (name, base_model_id, created, job_id) in SEED_MODELS.items():
        dev["models"][arn] = custom_model(arn, name, base_model_id, created, job_id)
    dev["evaluation_jobs"] = dict(_evaluation_jobs())
    staging = _empty_scope()
    staging["throughputs"][MANUAL_THROUGHPUT_ARN] = _manual_throughput()
    return copy.deepcopy(
        {
            "format": STATE_FORMAT,
            "sequence": 0,
            "organization": {
                "id": ORGANIZATION_ID,
                "management_account": MANAGEMENT,
                "accounts": [MANAGEMENT, DEV, STAGING, PROD],
            },
            "bedrock": {f"{DEV}/{REGION}": dev, f"{STAGING}/{REGION}": staging},
            "ram": {"shares": {}, "invitations": {}},
            "kms": _kms(),
            "service_quotas": {},
        }
    )
