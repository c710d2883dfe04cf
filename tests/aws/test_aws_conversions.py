"""API response items -> live-state dataclasses, on hand-written responses shaped like botocore's output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from reconciler.aws import conversions
from reconciler.core.live import (
    LiveCopyJob,
    LiveCustomModel,
    LiveDeployment,
    LiveInvitation,
    LiveShare,
    LiveThroughput,
)

DEV = "111122223333"
STAGING = "444455556666"
MODEL_V1 = f"arn:aws:bedrock:us-east-1:{DEV}:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d"
BASE_MODEL = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
SHARE = f"arn:aws:ram:us-east-1:{DEV}:resource-share/0b6c1e56-7f6a-4bb4-9b61-1a2b3c4d5e6f"
WHEN = datetime(2025, 3, 1, 12, 30, 5, 123000, tzinfo=UTC)


def test_timestamps_become_iso_8601_utc_strings_whatever_their_zone() -> None:
    paris = timezone(timedelta(hours=1))
    assert conversions.iso_utc(WHEN) == "2025-03-01T12:30:05.123000Z"
    assert conversions.iso_utc(datetime(2025, 3, 1, 13, 0, tzinfo=paris)) == "2025-03-01T12:00:00Z"
    assert conversions.iso_utc(datetime(2025, 3, 1, 12, 0)) == "2025-03-01T12:00:00Z"


def test_tag_lists_become_dicts() -> None:
    tags: Any = [{"key": "a", "value": "1"}, {"key": "b", "value": ""}, {"value": "keyless"}]
    assert conversions.tags_to_dict(tags) == {"a": "1", "b": ""}
    assert conversions.tags_to_dict(None) == {}


def test_owned_custom_model() -> None:
    summary: Any = {
        "modelArn": MODEL_V1,
        "modelName": "financial-analyst-v1",
        "creationTime": WHEN,
        "baseModelArn": BASE_MODEL,
        "baseModelName": "",
        "customizationType": "FINE_TUNING",
        "ownerAccountId": DEV,
        "modelStatus": "Active",
    }
    assert conversions.custom_model(summary) == LiveCustomModel(
        arn=MODEL_V1,
        name="financial-analyst-v1",
        owner_account=DEV,
        base_model_arn=BASE_MODEL,
        status="Active",
        creation_time="2025-03-01T12:30:05.123000Z",
    )


def test_custom_model_without_owner_or_status_takes_the_owner_from_its_arn() -> None:
    summary: Any = {
        "modelArn": MODEL_V1,
        "modelName": "m",
        "creationTime": WHEN,
        "baseModelArn": BASE_MODEL,
        "baseModelName": "",
    }
    model = conversions.custom_model(summary)
    assert (model.owner_account, model.status) == (DEV, "Active")


def test_copy_job_in_progress_has_no_target_model_yet_and_keeps_its_tags() -> None:
    summary: Any = {
        "jobArn": f"arn:aws:bedrock:eu-west-1:{STAGING}:model-copy-job/abc123",
        "status": "InProgress",
        "creationTime": WHEN,
        "targetModelArn": "",
        "targetModelName": "financial-analyst-v1",
        "sourceAccountId": DEV,
        "sourceModelArn": MODEL_V1,
        "targetModelTags": [{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}],
    }
    assert conversions.copy_job(summary) == LiveCopyJob(
        arn=f"arn:aws:bedrock:eu-west-1:{STAGING}:model-copy-job/abc123",
        status="InProgress",
        source_model_arn=MODEL_V1,
        source_account=DEV,
        target_model_name="financial-analyst-v1",
        target_model_arn=None,
        target_kms_key_arn=None,
        failure_message=None,
        creation_time="2025-03-01T12:30:05.123000Z",
        tags={"bedrock-gitops:managed-by": "bedrock-gitops"},
    )


def test_failed_copy_job_keeps_its_failure_message_and_key() -> None:
    key = f"arn:aws:kms:eu-west-1:{STAGING}:key/1234"
    summary: Any = {
        "jobArn": "arn:job",
        "status": "Failed",
        "creationTime": WHEN,
        "targetModelArn": "arn:target",
        "sourceAccountId": DEV,
        "sourceModelArn": MODEL_V1,
        "targetModelKmsKeyArn": key,
        "failureMessage": "KMS key not accessible",
    }
    job = conversions.copy_job(summary)
    assert (job.target_model_arn, job.target_kms_key_arn, job.failure_message, job.tags) == (
        "arn:target",
        key,
        "KMS key not accessible",
        {},
    )


def test_throughput_with_and_without_commitment() -> None:
    summary: Any = {
        "provisionedModelName": "dev-financial-analyst",
        "provisionedModelArn": f"arn:aws:bedrock:us-east-1:{DEV}:provisioned-model/xyz",
        "modelArn": MODEL_V1,
        "desiredModelArn": MODEL_V1,
        "foundationModelArn": BASE_MODEL,
        "modelUnits": 1,
        "desiredModelUnits": 2,
        "status": "Updating",
        "creationTime": WHEN,
        "lastModifiedTime": WHEN,
    }
    no_commitment = conversions.throughput(summary)
    assert no_commitment == LiveThroughput(
        arn=f"arn:aws:bedrock:us-east-1:{DEV}:provisioned-model/xyz",
        name="dev-financial-analyst",
        model_arn=MODEL_V1,
        desired_model_arn=MODEL_V1,
        foundation_model_arn=BASE_MODEL,
        model_units=1,
        desired_model_units=2,
        status="Updating",
        commitment=None,
        commitment_expiration=None,
        creation_time="2025-03-01T12:30:05.123000Z",
    )
    committed = conversions.throughput(
        {**summary, "commitmentDuration": "OneMonth", "commitmentExpirationTime": WHEN + timedelta(days=30)}
    )
    assert (committed.commitment, committed.commitment_expiration) == (
        "OneMonth",
        "2025-03-31T12:30:05.123000Z",
    )


def test_deployment() -> None:
    summary: Any = {
        "customModelDeploymentArn": f"arn:aws:bedrock:us-east-1:{DEV}:custom-model-deployment/d1",
        "customModelDeploymentName": "dev-support-summarizer",
        "modelArn": MODEL_V1,
        "createdAt": WHEN,
        "status": "Creating",
    }
    assert conversions.deployment(summary) == LiveDeployment(
        arn=f"arn:aws:bedrock:us-east-1:{DEV}:custom-model-deployment/d1",
        name="dev-support-summarizer",
        model_arn=MODEL_V1,
        status="Creating",
        creation_time="2025-03-01T12:30:05.123000Z",
    )


def test_share_with_its_associations() -> None:
    resource_share: Any = {
        "resourceShareArn": SHARE,
        "name": "bedrock-gitops-financial-analyst-v1",
        "owningAccountId": DEV,
        "allowExternalPrincipals": False,
        "status": "ACTIVE",
        "tags": [{"key": "bedrock-gitops:model", "value": "financial-analyst"}],
        "creationTime": WHEN,
    }
    assert conversions.share(resource_share, [MODEL_V1], [STAGING]) == LiveShare(
        arn=SHARE,
        name="bedrock-gitops-financial-analyst-v1",
        owner_account=DEV,
        status="ACTIVE",
        allow_external_principals=False,
        tags={"bedrock-gitops:model": "financial-analyst"},
        resource_arns=frozenset({MODEL_V1}),
        principals=frozenset({STAGING}),
    )


def test_invitation() -> None:
    received: Any = {
        "resourceShareInvitationArn": f"arn:aws:ram:us-east-1:{DEV}:resource-share-invitation/i1",
        "resourceShareName": "bedrock-gitops-financial-analyst-v1",
        "resourceShareArn": SHARE,
        "senderAccountId": DEV,
        "receiverAccountId": STAGING,
        "invitationTimestamp": WHEN,
        "status": "PENDING",
    }
    assert conversions.invitation(received) == LiveInvitation(
        arn=f"arn:aws:ram:us-east-1:{DEV}:resource-share-invitation/i1",
        share_arn=SHARE,
        share_name="bedrock-gitops-financial-analyst-v1",
        sender_account=DEV,
        receiver_account=STAGING,
        status="PENDING",
    )
