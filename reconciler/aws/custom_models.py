"""Reads for `versions discover`: the custom models of a Model's source account and Region, and the
provenance of the new ones (GetCustomModel, then the customization job of GetModelCustomizationJob).

API reference: ListCustomModels, GetCustomModel, GetModelCustomizationJob
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListCustomModels.html and siblings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.aws.clients import AwsClients, RoleAssumptionError
from reconciler.errors import AwsAccessError
from reconciler.manifests.model import Model
from reconciler.promotion.discovery import FoundModel, matches

if TYPE_CHECKING:
    from mypy_boto3_bedrock.client import BedrockClient

# ListCustomModels.nameContains's pattern: a prefix that does not fit it is checked here only.
_NAME_CONTAINS = re.compile(r"^([0-9a-zA-Z][_-]?)+$")


def _summary(item: Mapping[str, Any]) -> FoundModel:
    return FoundModel(
        arn=item["modelArn"],
        name=item["modelName"],
        created=item["creationTime"],
        status=item.get("modelStatus", "Active"),
        base_model_arn=item.get("baseModelArn", ""),
        customization_type=item.get("customizationType", ""),
    )


def _list_owned(bedrock: BedrockClient, model: Model) -> list[FoundModel]:
    rule = model.discover
    query: dict[str, Any] = {"isOwned": True, "modelStatus": "Active"}
    if rule is not None and rule.base_model:
        query["baseModelArnEquals"] = (
            f"arn:aws:bedrock:{model.source_region}::foundation-model/{rule.base_model}"
        )
    if rule is not None and rule.name_prefix and _NAME_CONTAINS.match(rule.name_prefix):
        query["nameContains"] = rule.name_prefix
    pages = bedrock.get_paginator("list_custom_models").paginate(**query)
    return [_summary(item) for page in pages for item in page["modelSummaries"]]


def _with_provenance(bedrock: BedrockClient, found: FoundModel) -> FoundModel:
    details = bedrock.get_custom_model(modelIdentifier=found.arn)
    found = replace(
        found,
        job_arn=details.get("jobArn"),
        job_name=details.get("jobName"),
        customization_type=details.get("customizationType", found.customization_type),
        training_data=details.get("trainingDataConfig", {}).get("s3Uri"),
        validation_data=tuple(
            v["s3Uri"] for v in details.get("validationDataConfig", {}).get("validators", [])
        ),
        output_data=details.get("outputDataConfig", {}).get("s3Uri"),
        hyperparameters=dict(details.get("hyperParameters", {})),
        training_loss=details.get("trainingMetrics", {}).get("trainingLoss"),
    )
    if not found.job_arn:
        return found
    try:
        job = bedrock.get_model_customization_job(jobIdentifier=found.job_arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return found  # the job's record is gone; the model's own details remain
        raise
    return replace(
        found,
        job_status=job.get("status"),
        training_data=found.training_data or job.get("trainingDataConfig", {}).get("s3Uri"),
        output_data=found.output_data or job.get("outputDataConfig", {}).get("s3Uri"),
        hyperparameters=found.hyperparameters or dict(job.get("hyperParameters", {})),
        training_loss=(
            found.training_loss
            if found.training_loss is not None
            else job.get("trainingMetrics", {}).get("trainingLoss")
        ),
    )


def find_models(clients: AwsClients, model: Model) -> list[FoundModel]:
    """The source account's own Active custom models that may be new versions of `model`, with provenance
    read only for those not yet listed (one GetCustomModel and one GetModelCustomizationJob each)."""
    if model.discover is None:
        return []
    account, region = model.source_account, model.source_region
    listed = {version.model_arn for version in model.versions}
    # The job name prefix is checked once the job name is known (GetCustomModel).
    without_job_rule = replace(model.discover, job_name_prefix=None)
    try:
        bedrock = clients.bedrock(account, region)
        found = [
            f for f in _list_owned(bedrock, model) if f.arn not in listed and matches(without_job_rule, f)
        ]
        return [_with_provenance(bedrock, f) for f in found]
    except RoleAssumptionError as error:
        raise AwsAccessError(account, region, error.describe()) from None
    except ClientError as error:
        details = error.response.get("Error", {})
        message = f"{error.operation_name}: {details.get('Code', 'Unknown')}: {details.get('Message', error)}"
        raise AwsAccessError(account, region, message) from None
    except BotoCoreError as error:
        raise AwsAccessError(account, region, f"{type(error).__name__}: {error}") from None
