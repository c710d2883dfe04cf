"""The simulated estate's Bedrock and RAM behaviour, through real boto3 clients."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.estate import SandboxEstate
from tests.sandbox.clients import client

DEV, STAGING, PROD = "111122223333", "444455556666", "777788889999"
V1 = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d"
V2 = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa2v2e5f6g7h"
NOVA = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-lite-v1:0:300k/ss1v1k8m2n4p"


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def share(estate: SandboxEstate, arn: str = V1, principal: str = STAGING, **extra: Any) -> dict[str, Any]:
    ram = client(estate, "ram", DEV)
    result: dict[str, Any] = ram.create_resource_share(
        name="bedrock-gitops-test",
        resourceArns=[arn],
        principals=[principal],
        **{"allowExternalPrincipals": False, **extra},
    )
    return result


def copy(
    estate: SandboxEstate, region: str = "us-west-2", name: str = "financial-analyst-v1", **extra: Any
) -> str:
    bedrock = client(estate, "bedrock", STAGING, region)
    job: str = bedrock.create_model_copy_job(sourceModelArn=V1, targetModelName=name, **extra)["jobArn"]
    return job


# -- RAM ----------------------------------------------------------------------------------------------------


def test_share_inside_the_organization_is_accepted_and_visible(sandbox: SandboxEstate) -> None:
    assert share(sandbox)["resourceShare"]["status"] == "ACTIVE"
    shared = client(sandbox, "bedrock", STAGING).list_custom_models(isOwned=False)["modelSummaries"]
    assert [(m["modelArn"], m["ownerAccountId"]) for m in shared] == [(V1, DEV)]
    assert client(sandbox, "bedrock", STAGING).list_custom_models(isOwned=True)["modelSummaries"] == []
    assert client(sandbox, "ram", STAGING).get_resource_share_invitations()["resourceShareInvitations"] == []


def test_custom_models_cannot_be_shared_outside_the_organization(sandbox: SandboxEstate) -> None:
    ram = client(sandbox, "ram", DEV)
    with pytest.raises(ClientError) as caught:
        ram.create_resource_share(
            name="open", resourceArns=[V1], principals=[STAGING]
        )  # RAM default: external ok
    assert error_code(caught) == "OperationNotPermittedException"
    assert "only within your organization" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        share(sandbox, principal="999999999999")
    assert error_code(caught) == "OperationNotPermittedException"


def test_disassociated_principal_no_longer_sees_the_model(sandbox: SandboxEstate) -> None:
    arn = share(sandbox)["resourceShare"]["resourceShareArn"]
    client(sandbox, "ram", DEV).disassociate_resource_share(resourceShareArn=arn, principals=[STAGING])
    assert client(sandbox, "bedrock", STAGING).list_custom_models()["modelSummaries"] == []
    associations = client(sandbox, "ram", DEV).get_resource_share_associations(associationType="PRINCIPAL")
    assert [a["status"] for a in associations["resourceShareAssociations"]] == ["DISASSOCIATED"]


# -- model copy ---------------------------------------------------------------------------------------------


def test_copy_of_a_shared_model_runs_in_the_target_region_and_completes(sandbox: SandboxEstate) -> None:
    share(sandbox)
    tags = [{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}]
    # A key staging makes in us-west-2 (moto's KMS; its default key policy lets the account's roles use it).
    kms_key = client(sandbox, "kms", STAGING, "us-west-2").create_key(Description="model copies")
    key_arn = kms_key["KeyMetadata"]["Arn"]
    west = copy(sandbox, "us-west-2", targetModelTags=tags, modelKmsKeyId=key_arn)
    east = copy(sandbox, "us-east-1")  # a shared model must be copied even into its own Region
    bedrock = client(sandbox, "bedrock", STAGING, "us-west-2")
    assert bedrock.get_model_copy_job(jobArn=west)["status"] == "InProgress"
    assert bedrock.list_custom_models(isOwned=True)["modelSummaries"] == []
    sandbox.advance(1200)
    job = bedrock.get_model_copy_job(jobArn=west)
    assert (job["status"], job["sourceAccountId"], job["targetModelKmsKeyArn"]) == ("Completed", DEV, key_arn)
    (model,) = bedrock.list_custom_models(isOwned=True)["modelSummaries"]
    assert model["modelArn"] == job["targetModelArn"]
    assert model["modelArn"].startswith(
        "arn:aws:bedrock:us-west-2:444455556666:custom-model/amazon.nova-pro-v1"
    )
    assert bedrock.list_tags_for_resource(resourceARN=model["modelArn"])["tags"] == tags
    summaries = bedrock.list_model_copy_jobs()["modelCopyJobSummaries"]
    assert summaries[0]["targetModelTags"] == tags
    east_job = client(sandbox, "bedrock", STAGING).get_model_copy_job(jobArn=east)
    assert east_job["status"] == "Completed"


def test_copy_is_idempotent_on_the_client_request_token(sandbox: SandboxEstate) -> None:
    share(sandbox)
    first = copy(sandbox, clientRequestToken="bgo-token-1")
    assert copy(sandbox, clientRequestToken="bgo-token-1") == first
    assert (
        len(client(sandbox, "bedrock", STAGING, "us-west-2").list_model_copy_jobs()["modelCopyJobSummaries"])
        == 1
    )
    with pytest.raises(ClientError) as caught:
        copy(sandbox, name="other-name", clientRequestToken="bgo-token-1")
    assert error_code(caught) == "ValidationException"


def test_copy_without_a_share_is_denied(sandbox: SandboxEstate) -> None:
    with pytest.raises(ClientError) as caught:
        copy(sandbox)
    assert error_code(caught) == "AccessDeniedException"
    assert "share it with account 444455556666" in caught.value.response["Error"]["Message"]


def test_the_owner_copies_to_other_regions_only(sandbox: SandboxEstate) -> None:
    with pytest.raises(ClientError) as caught:
        client(sandbox, "bedrock", DEV).create_model_copy_job(
            sourceModelArn=V1, targetModelName="same-region"
        )
    assert error_code(caught) == "ValidationException"
    job = client(sandbox, "bedrock", DEV, "eu-west-1").create_model_copy_job(
        sourceModelArn=V1, targetModelName="eu"
    )
    assert job["jobArn"].startswith("arn:aws:bedrock:eu-west-1:111122223333:model-copy-job/")


def test_a_failing_copy_target_ends_failed_with_a_message(sandbox: SandboxEstate) -> None:
    sandbox.update_settings(failing_copy_targets=[f"{STAGING}/us-west-2"])
    share(sandbox)
    job = copy(sandbox)
    sandbox.advance(3600)
    details = client(sandbox, "bedrock", STAGING, "us-west-2").get_model_copy_job(jobArn=job)
    assert details["status"] == "Failed"
    assert "failed" in details["failureMessage"]
    assert client(sandbox, "bedrock", STAGING, "us-west-2").list_custom_models()["modelSummaries"] == []


def test_requests_are_checked_against_patterns_and_enums(sandbox: SandboxEstate) -> None:
    bedrock = client(sandbox, "bedrock", STAGING)
    with pytest.raises(ClientError) as caught:
        bedrock.create_model_copy_job(sourceModelArn=V1, targetModelName="two--hyphens")
    assert error_code(caught) == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'two--hyphens' at 'targetModelName' "
        "failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ([0-9a-zA-Z][_-]?){1,63}"
    )
    with pytest.raises(ClientError) as caught:
        bedrock.create_model_copy_job(
            sourceModelArn="arn:aws:bedrock:us-east-1:111122223333:custom-model/x", targetModelName="x"
        )
    assert "sourceModelArn" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        bedrock.create_provisioned_model_throughput(
            modelUnits=1, provisionedModelName="p", modelId=V1, commitmentDuration="OneYear"
        )
    assert (
        "Member must satisfy enum value set: [OneMonth, SixMonths]"
        in caught.value.response["Error"]["Message"]
    )


# -- capacity -----------------------------------------------------------------------------------------------


# Capacity is bought in us-east-1: the only Region where the support table offers provisioned throughput
# and on-demand deployment for Nova custom models (reconciler/data/bedrock-support.json).
def copied(estate: SandboxEstate, source: str = V1, name: str = "financial-analyst-v1") -> str:
    share(estate, arn=source)
    bedrock = client(estate, "bedrock", STAGING)
    job = bedrock.create_model_copy_job(sourceModelArn=source, targetModelName=name)["jobArn"]
    estate.advance(1200)
    target: str = bedrock.get_model_copy_job(jobArn=job)["targetModelArn"]
    return target


def test_provisioned_throughput_lifecycle(sandbox: SandboxEstate) -> None:
    v1 = copied(sandbox)
    v2 = copied(sandbox, V2, "financial-analyst-v2")
    nova = copied(sandbox, NOVA, "support-summarizer-v1")
    bedrock = client(sandbox, "bedrock", STAGING)
    arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="staging-fa", modelId=v1
    )["provisionedModelArn"]
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"] == "Creating"
    sandbox.advance(600)
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"] == "InService"
    with pytest.raises(ClientError) as caught:
        bedrock.update_provisioned_model_throughput(provisionedModelId=arn, desiredModelId=nova)
    assert "same base model" in caught.value.response["Error"]["Message"]
    bedrock.update_provisioned_model_throughput(provisionedModelId=arn, desiredModelId=v2)
    updating = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert (updating["status"], updating["modelArn"], updating["desiredModelArn"]) == ("Updating", v1, v2)
    sandbox.advance(600)
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["modelArn"] == v2
    with pytest.raises(ClientError) as caught:
        bedrock.delete_custom_model(modelIdentifier=v2)
    assert error_code(caught) == "ConflictException"
    bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    left = bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"]
    assert [t["provisionedModelName"] for t in left] == ["manual-experiment"]  # the seed's, by hand


def test_a_committed_throughput_cannot_be_deleted_before_its_term(sandbox: SandboxEstate) -> None:
    v1 = copied(sandbox)
    bedrock = client(sandbox, "bedrock", STAGING)
    arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="committed", modelId=v1, commitmentDuration="OneMonth"
    )["provisionedModelArn"]
    sandbox.advance(600)
    with pytest.raises(ClientError) as caught:
        bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    assert "commitment" in caught.value.response["Error"]["Message"]
    sandbox.advance(32 * 24 * 3600)
    bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)


def test_capacity_needs_a_copy_not_the_shared_model(sandbox: SandboxEstate) -> None:
    share(sandbox)
    with pytest.raises(ClientError) as caught:
        client(sandbox, "bedrock", STAGING).create_provisioned_model_throughput(
            modelUnits=1, provisionedModelName="direct", modelId=V1
        )
    assert "Copy it into this account and Region" in caught.value.response["Error"]["Message"]


def test_no_commitment_quota(sandbox: SandboxEstate) -> None:
    v1 = copied(sandbox)
    bedrock = client(sandbox, "bedrock", STAGING)
    for index in range(2):
        bedrock.create_provisioned_model_throughput(
            modelUnits=1, provisionedModelName=f"p{index}", modelId=v1
        )
    with pytest.raises(ClientError) as caught:
        bedrock.create_provisioned_model_throughput(modelUnits=1, provisionedModelName="p2", modelId=v1)
    assert error_code(caught) == "ServiceQuotaExceededException"


def test_custom_model_deployment_lifecycle(sandbox: SandboxEstate) -> None:
    v1 = copied(sandbox)
    v2 = copied(sandbox, V2, "financial-analyst-v2")
    bedrock = client(sandbox, "bedrock", STAGING)
    arn = bedrock.create_custom_model_deployment(modelDeploymentName="staging-fa", modelArn=v1)[
        "customModelDeploymentArn"
    ]
    assert bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)["status"] == "Creating"
    sandbox.advance(300)
    bedrock.update_custom_model_deployment(customModelDeploymentIdentifier=arn, modelArn=v2)
    updating = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert updating["updateDetails"] == {"modelArn": v2, "updateStatus": "Updating"}
    sandbox.advance(300)
    (summary,) = bedrock.list_custom_model_deployments()["modelDeploymentSummaries"]
    assert (summary["status"], summary["modelArn"]) == ("Active", v2)
    bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier="staging-fa")
    assert bedrock.list_custom_model_deployments()["modelDeploymentSummaries"] == []


def test_listings_paginate(sandbox: SandboxEstate) -> None:
    bedrock = client(sandbox, "bedrock", DEV)
    pages = list(bedrock.get_paginator("list_custom_models").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["modelSummaries"]) for page in pages] == [2, 1]


def test_the_seed_matches_the_example_estate(sandbox: SandboxEstate) -> None:
    names = {
        m["modelArn"]: m["modelName"]
        for m in client(sandbox, "bedrock", DEV).list_custom_models()["modelSummaries"]
    }
    assert names == {V1: "financial-analyst-v1", V2: "financial-analyst-v2", NOVA: "support-summarizer-v1"}
    (manual,) = client(sandbox, "bedrock", STAGING).list_provisioned_model_throughputs()[
        "provisionedModelSummaries"
    ]
    assert manual["provisionedModelName"] == "manual-experiment"
    assert client(sandbox, "bedrock", PROD).list_custom_models()["modelSummaries"] == []


def test_the_first_request_moto_answers_for_a_service_goes_alone() -> None:
    """moto loads a service's model on its first request behind a cache that lets concurrent misses all
    load it: the first STS requests of a plan, together, each paid for loading the model."""
    from reconciler.sandbox.hook import _AheadOfMoto

    handler = _AheadOfMoto(None)
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def forward() -> None:
        began = time.perf_counter()
        time.sleep(0.01)
        with lock:
            spans.append((began, time.perf_counter()))

    def call() -> None:
        start.wait()
        handler._alone_if_first("sts", forward)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans.sort()
    first, others = spans[0], spans[1:]
    assert len(spans) == 8
    assert all(began >= first[1] for began, _ in others), "a request overlapped the first one"
