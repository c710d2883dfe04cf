"""Client tokens as AWS treats them, through real boto3 clients: the same request answers the original result,
the same token with other parameters is the service's idempotency error, and the token of a resource deleted
since is refused (undocumented by AWS: the sandbox takes the adversarial choice)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.estate import SandboxEstate
from tests.sandbox.test_simulation import DEV, STAGING, V1, V2, client, copied, error_code

TOKEN = "bgo-" + "1" * 40


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return error_code(caught), str(caught.value.response["Error"]["Message"])


def test_provisioned_throughput_token(sandbox: SandboxEstate) -> None:
    model = copied(sandbox)
    bedrock = client(sandbox, "bedrock", STAGING)
    request = {"modelUnits": 1, "provisionedModelName": "fa", "modelId": model, "clientRequestToken": TOKEN}
    first = bedrock.create_provisioned_model_throughput(**request)["provisionedModelArn"]
    assert bedrock.create_provisioned_model_throughput(**request)["provisionedModelArn"] == first
    names = [
        t["provisionedModelName"]
        for t in bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"]
    ]
    assert sorted(names) == ["fa", "manual-experiment"]
    code, message = refused(
        bedrock.create_provisioned_model_throughput, **{**request, "provisionedModelName": "b"}
    )
    assert (code, "with different parameters" in message) == ("ValidationException", True)
    sandbox.advance(600)
    bedrock.delete_provisioned_model_throughput(provisionedModelId=first)
    code, message = refused(bedrock.create_provisioned_model_throughput, **request)
    assert (code, "has been deleted since" in message) == ("ValidationException", True)
    # A new token makes it again.
    bedrock.create_provisioned_model_throughput(**{**request, "clientRequestToken": "bgo-" + "2" * 40})


def test_custom_model_deployment_token(sandbox: SandboxEstate) -> None:
    model = copied(sandbox)
    bedrock = client(sandbox, "bedrock", STAGING)
    request = {"modelDeploymentName": "fa", "modelArn": model, "clientRequestToken": TOKEN}
    first = bedrock.create_custom_model_deployment(**request)["customModelDeploymentArn"]
    assert bedrock.create_custom_model_deployment(**request)["customModelDeploymentArn"] == first
    code, _ = refused(bedrock.create_custom_model_deployment, **{**request, "description": "other"})
    assert code == "ValidationException"
    sandbox.advance(300)
    bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=first)
    code, message = refused(bedrock.create_custom_model_deployment, **request)
    assert (code, "has been deleted since" in message) == ("ValidationException", True)


def test_model_copy_job_token(sandbox: SandboxEstate) -> None:
    client(sandbox, "ram", DEV).create_resource_share(
        name="s", resourceArns=[V1, V2], principals=[STAGING], allowExternalPrincipals=False
    )
    bedrock = client(sandbox, "bedrock", STAGING)
    request = {"sourceModelArn": V1, "targetModelName": "fa-v1", "clientRequestToken": TOKEN}
    job = bedrock.create_model_copy_job(**request)["jobArn"]
    assert bedrock.create_model_copy_job(**request)["jobArn"] == job
    assert len(bedrock.list_model_copy_jobs()["modelCopyJobSummaries"]) == 1
    code, _ = refused(bedrock.create_model_copy_job, **{**request, "sourceModelArn": V2})
    assert code == "ValidationException"
    sandbox.advance(1200)
    target = bedrock.get_model_copy_job(jobArn=job)["targetModelArn"]
    bedrock.delete_custom_model(modelIdentifier=target)
    code, message = refused(bedrock.create_model_copy_job, **request)
    assert (code, "has been deleted since" in message) == ("ValidationException", True)


def test_resource_share_token(sandbox: SandboxEstate) -> None:
    ram = client(sandbox, "ram", DEV)
    request = {
        "name": "s",
        "resourceArns": [V1],
        "principals": [STAGING],
        "allowExternalPrincipals": False,
        "clientToken": TOKEN,
    }
    first = ram.create_resource_share(**request)["resourceShare"]["resourceShareArn"]
    assert ram.create_resource_share(**request)["resourceShare"]["resourceShareArn"] == first
    assert len(ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]) == 1
    code, _ = refused(ram.create_resource_share, **{**request, "name": "other"})
    assert code == "IdempotentParameterMismatchException"
    ram.delete_resource_share(resourceShareArn=first)
    code, message = refused(ram.create_resource_share, **request)
    assert (code, "has been deleted since" in message) == ("InvalidClientTokenException", True)
