"""Bedrock and RAM API response items -> the live-state dataclasses of `reconciler.core.live`.

Pure functions over the dicts botocore returns (timestamps already parsed into aware datetimes), so
they are unit-tested with hand-written responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reconciler.core.live import (
    LiveCopyJob,
    LiveCustomModel,
    LiveDeployment,
    LiveInvitation,
    LiveShare,
    LiveThroughput,
)

if TYPE_CHECKING:
    from mypy_boto3_bedrock.type_defs import (
        CustomModelDeploymentSummaryTypeDef,
        CustomModelSummaryTypeDef,
        ModelCopyJobSummaryTypeDef,
        ProvisionedModelSummaryTypeDef,
    )
    from mypy_boto3_bedrock.type_defs import TagTypeDef as BedrockTagTypeDef
    from mypy_boto3_ram.type_defs import ResourceShareInvitationTypeDef, ResourceShareTypeDef
    from mypy_boto3_ram.type_defs import TagTypeDef as RamTagTypeDef

# Older ListCustomModels responses have no modelStatus: only usable (Active) models were listed then.
_STATUS_WHEN_ABSENT = "Active"


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z` suffix; a naive datetime is taken as UTC (botocore's are aware)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tags_to_dict(tags: Iterable[BedrockTagTypeDef | RamTagTypeDef] | None) -> dict[str, str]:
    """Bedrock's and RAM's `[{"key": k, "value": v}, ...]` (both use lowercase members) -> `{k: v}`."""
    return {tag["key"]: tag.get("value", "") for tag in tags or () if "key" in tag}


def arn_account(arn: str) -> str:
    """The account field of an ARN (`arn:partition:service:region:account:resource`)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) > 4 else ""


def custom_model(summary: CustomModelSummaryTypeDef) -> LiveCustomModel:
    arn = summary["modelArn"]
    return LiveCustomModel(
        arn=arn,
        name=summary["modelName"],
        # ownerAccountId is optional in the model; a custom model ARN carries its owner's account.
        owner_account=summary.get("ownerAccountId") or arn_account(arn),
        base_model_arn=summary["baseModelArn"],
        status=summary.get("modelStatus", _STATUS_WHEN_ABSENT),
        creation_time=iso_utc(summary["creationTime"]),
    )


def copy_job(summary: ModelCopyJobSummaryTypeDef) -> LiveCopyJob:
    return LiveCopyJob(
        arn=summary["jobArn"],
        status=summary["status"],
        source_model_arn=summary["sourceModelArn"],
        source_account=summary.get("sourceAccountId") or arn_account(summary["sourceModelArn"]),
        target_model_name=summary.get("targetModelName", ""),
        # A job still in progress may report no (or an empty) target model ARN yet.
        target_model_arn=summary.get("targetModelArn") or None,
        target_kms_key_arn=summary.get("targetModelKmsKeyArn") or None,
        failure_message=summary.get("failureMessage") or None,
        creation_time=iso_utc(summary["creationTime"]),
        tags=tags_to_dict(summary.get("targetModelTags")),
    )


def throughput(summary: ProvisionedModelSummaryTypeDef) -> LiveThroughput:
    expiration = summary.get("commitmentExpirationTime")
    return LiveThroughput(
        arn=summary["provisionedModelArn"],
        name=summary["provisionedModelName"],
        model_arn=summary["modelArn"],
        desired_model_arn=summary["desiredModelArn"],
        foundation_model_arn=summary["foundationModelArn"],
        model_units=summary["modelUnits"],
        desired_model_units=summary["desiredModelUnits"],
        status=summary["status"],
        commitment=summary.get("commitmentDuration") or None,
        commitment_expiration=iso_utc(expiration) if expiration else None,
        creation_time=iso_utc(summary["creationTime"]),
    )


def deployment(summary: CustomModelDeploymentSummaryTypeDef) -> LiveDeployment:
    return LiveDeployment(
        arn=summary["customModelDeploymentArn"],
        name=summary["customModelDeploymentName"],
        model_arn=summary["modelArn"],
        status=summary["status"],
        creation_time=iso_utc(summary["createdAt"]),
    )


def share(
    resource_share: ResourceShareTypeDef, resource_arns: Iterable[str], principals: Iterable[str]
) -> LiveShare:
    """A share with its live associations (the caller keeps only ASSOCIATED/ASSOCIATING ones)."""
    return LiveShare(
        arn=resource_share["resourceShareArn"],
        name=resource_share["name"],
        owner_account=resource_share["owningAccountId"],
        status=resource_share["status"],
        allow_external_principals=resource_share.get("allowExternalPrincipals", False),
        tags=tags_to_dict(resource_share.get("tags")),
        resource_arns=frozenset(resource_arns),
        principals=frozenset(principals),
    )


def invitation(received: ResourceShareInvitationTypeDef) -> LiveInvitation:
    return LiveInvitation(
        arn=received["resourceShareInvitationArn"],
        share_arn=received["resourceShareArn"],
        share_name=received["resourceShareName"],
        sender_account=received["senderAccountId"],
        receiver_account=received["receiverAccountId"],
        status=received["status"],
    )
