"""What AWS refuses, the sandbox refuses: each case through a real boto3 client, with AWS's error code."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.seed import MANUAL_THROUGHPUT_ARN, STAGING, SUPPORT_SUMMARIZER_V1
from tests.sandbox.test_simulation import client, error_code, share


def _staging_copy(sandbox: SandboxEstate, source: str, name: str) -> str:
    share(sandbox, arn=source)
    bedrock = client(sandbox, "bedrock", STAGING)
    job = bedrock.create_model_copy_job(sourceModelArn=source, targetModelName=name)["jobArn"]
    sandbox.advance(1200)
    target: str = bedrock.get_model_copy_job(jobArn=job)["targetModelArn"]
    return target


def test_a_throughput_serving_a_base_model_cannot_be_repointed_to_a_custom_model(
    sandbox: SandboxEstate,
) -> None:
    # Staging's hand-made throughput serves the Nova Lite 300k base model; the copy is a Nova Lite custom
    # model, so only "associated with a base model" stands in the way (API reference,
    # UpdateProvisionedModelThroughput.desiredModelId).
    custom = _staging_copy(sandbox, SUPPORT_SUMMARIZER_V1, "support-summarizer-v1")
    bedrock = client(sandbox, "bedrock", STAGING)
    with pytest.raises(ClientError) as caught:
        bedrock.update_provisioned_model_throughput(
            provisionedModelId=MANUAL_THROUGHPUT_ARN, desiredModelId=custom
        )
    assert error_code(caught) == "ValidationException"
    assert "associated with the base model" in caught.value.response["Error"]["Message"]
    # A rename alone is still allowed, and the throughput still serves its base model.
    bedrock.update_provisioned_model_throughput(
        provisionedModelId=MANUAL_THROUGHPUT_ARN, desiredProvisionedModelName="manual-renamed"
    )
    view = bedrock.get_provisioned_model_throughput(provisionedModelId=MANUAL_THROUGHPUT_ARN)
    assert view["modelArn"].endswith("foundation-model/amazon.nova-lite-v1:0:300k")


def test_a_throughput_serving_a_custom_model_can_move_to_its_base_model(sandbox: SandboxEstate) -> None:
    custom = _staging_copy(sandbox, SUPPORT_SUMMARIZER_V1, "support-summarizer-v1")
    bedrock = client(sandbox, "bedrock", STAGING)
    arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="staging-ss", modelId=custom
    )["provisionedModelArn"]
    sandbox.advance(600)
    bedrock.update_provisioned_model_throughput(
        provisionedModelId=arn, desiredModelId="amazon.nova-lite-v1:0:300k"
    )
    sandbox.advance(600)
    view = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert (view["status"], view["modelArn"]) == (
        "InService",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0:300k",
    )
