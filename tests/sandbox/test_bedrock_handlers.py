"""The simulated Bedrock operations, called directly on a fresh seed (see handler_support.World)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reconciler.sandbox import arns, bedrock
from reconciler.sandbox.bedrock_capacity import NO_COMMITMENT_THROUGHPUTS_PER_BASE_MODEL, add_months
from reconciler.sandbox.governance import key_policy
from reconciler.sandbox.seed import MANUAL_THROUGHPUT_ARN
from tests.sandbox.handler_support import DEV, NOVA, PROD, STAGING, V1, V2, World

# financial-analyst's base model, and the base model staging's hand-made throughput serves
PRO_FM = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0:300k"
LITE_FM = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0:300k"
KMS_ALIAS = "alias/bedrock-models"
ALIASED_KEYS = ("1a2b3c4d-0000-4000-8000-00000000e001", "1a2b3c4d-0000-4000-8000-00000000a002")


@pytest.fixture
def world() -> World:
    return World()


# -- custom models ------------------------------------------------------------------------------------------


def test_owner_lists_its_models_newest_first_with_filters(world: World) -> None:
    assert world.model_names(DEV) == ["support-summarizer-v1", "financial-analyst-v2", "financial-analyst-v1"]
    assert world.model_names(DEV, sortOrder="Ascending")[0] == "financial-analyst-v1"
    assert world.model_names(DEV, nameContains="financial") == [
        "financial-analyst-v2",
        "financial-analyst-v1",
    ]
    assert world.model_names(DEV, baseModelArnEquals=PRO_FM, isOwned=True) == [
        "financial-analyst-v2",
        "financial-analyst-v1",
    ]
    assert world.model_names(DEV, isOwned=False) == []
    assert world.model_names(DEV, modelStatus="Creating") == []
    summary = world.bedrock("ListCustomModels", DEV, sortOrder="Ascending")["modelSummaries"][0]
    assert summary == {
        "modelArn": V1,
        "modelName": "financial-analyst-v1",
        "creationTime": summary["creationTime"],
        "baseModelArn": PRO_FM,
        "baseModelName": "amazon.nova-pro-v1",
        "customizationType": "FINE_TUNING",
        "ownerAccountId": DEV,
        "modelStatus": "Active",
    }
    assert world.model_names(DEV, "us-west-2") == []
    assert world.model_names(STAGING) == []


def test_list_custom_models_paginates(world: World) -> None:
    first = world.bedrock("ListCustomModels", DEV, maxResults=2)
    assert len(first["modelSummaries"]) == 2
    second = world.bedrock("ListCustomModels", DEV, maxResults=2, nextToken=first["nextToken"])
    assert [s["modelName"] for s in second["modelSummaries"]] == ["financial-analyst-v1"]
    assert "nextToken" not in second
    assert (
        world.fails("bedrock", "ListCustomModels", DEV, nextToken="not-a-token").code == "ValidationException"
    )


def test_get_custom_model_by_arn_or_name(world: World) -> None:
    by_name = world.bedrock("GetCustomModel", DEV, modelIdentifier="financial-analyst-v2")
    assert by_name["modelArn"] == V2
    assert by_name["modelStatus"] == "Active"
    assert by_name["jobArn"].startswith("arn:aws:bedrock:us-east-1:111122223333:model-customization-job/")
    assert world.bedrock("GetCustomModel", DEV, modelIdentifier=V2) == by_name
    error = world.fails("bedrock", "GetCustomModel", DEV, "us-west-2", modelIdentifier=V2)
    assert error.code == "ResourceNotFoundException"
    assert (
        world.fails("bedrock", "GetCustomModel", STAGING, modelIdentifier=V1).code
        == "ResourceNotFoundException"
    )


def test_shared_model_is_visible_to_the_recipient_in_the_owners_region_only(world: World) -> None:
    world.share(V1)
    summaries = world.bedrock("ListCustomModels", STAGING)["modelSummaries"]
    assert [(s["modelArn"], s["ownerAccountId"]) for s in summaries] == [(V1, DEV)]
    assert world.model_names(STAGING, isOwned=False) == ["financial-analyst-v1"]
    assert world.model_names(STAGING, isOwned=True) == []
    assert world.model_names(STAGING, "us-west-2") == []
    assert world.model_names(PROD) == []
    assert world.bedrock("GetCustomModel", STAGING, modelIdentifier=V1)["modelName"] == "financial-analyst-v1"
    # Names are per account: the recipient reaches a shared model by ARN only.
    error = world.fails("bedrock", "GetCustomModel", STAGING, modelIdentifier="financial-analyst-v1")
    assert error.code == "ResourceNotFoundException"


def test_delete_custom_model_owner_only_and_not_while_in_use(world: World) -> None:
    world.share(V2)
    assert (
        world.fails("bedrock", "DeleteCustomModel", STAGING, modelIdentifier=V2).code
        == "AccessDeniedException"
    )
    world.bedrock("CreateCustomModelDeployment", DEV, modelDeploymentName="fa", modelArn=V2)
    error = world.fails("bedrock", "DeleteCustomModel", DEV, modelIdentifier=V2)
    assert error.code == "ConflictException"
    assert "custom model deployment fa" in error.message
    world.bedrock("DeleteCustomModel", DEV, modelIdentifier="financial-analyst-v1")
    assert world.model_names(DEV) == ["support-summarizer-v1", "financial-analyst-v2"]
    assert (
        world.fails("bedrock", "DeleteCustomModel", DEV, modelIdentifier=V1).code
        == "ResourceNotFoundException"
    )


# -- model copy ---------------------------------------------------------------------------------------------


def test_recipient_copies_into_two_regions_with_tags_and_kms_key(world: World) -> None:
    world.share(V1)
    for region, key_id in (("us-east-1", ALIASED_KEYS[0]), ("us-west-2", ALIASED_KEYS[1])):
        world.state["kms"][f"{STAGING}/{region}"] = {
            key_id: {"policy": key_policy(STAGING), "aliases": [KMS_ALIAS]}
        }
    tags = [{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}]
    jobs = {
        region: world.copy(
            STAGING, region, name="financial-analyst-v1", targetModelTags=tags, modelKmsKeyId=KMS_ALIAS
        )
        for region in ("us-east-1", "us-west-2")
    }
    job = world.bedrock("GetModelCopyJob", STAGING, "us-west-2", jobArn=jobs["us-west-2"])
    assert job["status"] == "InProgress"
    assert job["sourceAccountId"] == DEV
    assert job["sourceModelArn"] == V1
    assert job["targetModelArn"].startswith(
        "arn:aws:bedrock:us-west-2:444455556666:custom-model/amazon.nova-pro-v1:0:300k/"
    )
    assert job["targetModelTags"] == tags
    assert world.model_names(STAGING, "us-west-2") == []

    world.advance(world.state["settings"]["copy_job_seconds"] - 1)
    assert (
        world.bedrock("GetModelCopyJob", STAGING, "us-west-2", jobArn=jobs["us-west-2"])["status"]
        == "InProgress"
    )
    world.advance(1)
    for region, job_arn in jobs.items():
        done = world.bedrock("GetModelCopyJob", STAGING, region, jobArn=job_arn)
        assert done["status"] == "Completed"
        model = world.bedrock("GetCustomModel", STAGING, region, modelIdentifier=done["targetModelArn"])
        assert model["modelName"] == "financial-analyst-v1"
        assert model["customizationType"] == "FINE_TUNING"
        assert model["baseModelArn"] == arns.foundation_model_arn(region, "amazon.nova-pro-v1:0:300k")
        key_id = ALIASED_KEYS[0 if region == "us-east-1" else 1]
        assert model["modelKmsKeyArn"] == f"arn:aws:kms:{region}:{STAGING}:key/{key_id}"  # the alias's key
        listed = world.bedrock("ListTagsForResource", STAGING, region, resourceARN=done["targetModelArn"])
        assert listed["tags"] == tags
    owned = world.bedrock("ListCustomModels", STAGING, isOwned=True)["modelSummaries"]
    assert [s["ownerAccountId"] for s in owned] == [STAGING]
    assert world.model_names(STAGING) == [
        "financial-analyst-v1",
        "financial-analyst-v1",
    ]  # the copy + the share


def test_copy_job_is_idempotent_on_its_client_request_token(world: World) -> None:
    world.share(V1)
    first = world.copy(clientRequestToken="bgo-1")
    sequence = world.state["sequence"]
    assert world.copy(clientRequestToken="bgo-1") == first
    assert world.state["sequence"] == sequence
    assert len(world.bedrock("ListModelCopyJobs", STAGING, "us-west-2")["modelCopyJobSummaries"]) == 1
    error = world.fails(
        "bedrock",
        "CreateModelCopyJob",
        STAGING,
        "us-west-2",
        sourceModelArn=V1,
        targetModelName="other-name",
        clientRequestToken="bgo-1",
    )
    assert error.code == "ValidationException"
    assert "bgo-1" in error.message


def test_copy_target_name_must_be_free(world: World) -> None:
    world.share(V1)
    world.copy(name="taken")
    error = world.fails(
        "bedrock", "CreateModelCopyJob", STAGING, "us-west-2", sourceModelArn=V1, targetModelName="taken"
    )
    assert error.code == "ValidationException"
    assert "in progress" in error.message
    world.advance(world.state["settings"]["copy_job_seconds"])
    error = world.fails(
        "bedrock", "CreateModelCopyJob", STAGING, "us-west-2", sourceModelArn=V1, targetModelName="taken"
    )
    assert error.code == "ValidationException"
    assert "already exists" in error.message
    world.copy(region="eu-west-1", name="taken")  # names are per Region


def test_copy_needs_ownership_or_a_share(world: World) -> None:
    error = world.fails(
        "bedrock", "CreateModelCopyJob", STAGING, "us-west-2", sourceModelArn=V1, targetModelName="x"
    )
    assert error.code == "AccessDeniedException"
    assert "share" in error.message
    # The owner copies to other Regions, never into the model's own Region.
    error = world.fails("bedrock", "CreateModelCopyJob", DEV, sourceModelArn=V1, targetModelName="x")
    assert error.code == "ValidationException"
    world.copy(DEV, "us-west-2", name="x")
    missing = arns.custom_model_arn("us-east-1", DEV, "amazon.titan-text-express-v1:0:8k", "zzzzzzzzzzzz")
    error = world.fails(
        "bedrock", "CreateModelCopyJob", DEV, "us-west-2", sourceModelArn=missing, targetModelName="y"
    )
    assert error.code == "ResourceNotFoundException"
    # A recipient may copy even into the source Region; a Region outside the copy table is refused.
    world.share(V1)
    world.copy(STAGING, "us-east-1", name="x")
    error = world.fails(
        "bedrock", "CreateModelCopyJob", STAGING, "eu-central-1", sourceModelArn=V1, targetModelName="x"
    )
    assert error.code == "ValidationException"


def test_copy_denied_once_the_share_is_gone(world: World) -> None:
    share = world.share(V1)
    world.ram("DisassociateResourceShare", DEV, resourceShareArn=share, principals=[STAGING])
    error = world.fails(
        "bedrock", "CreateModelCopyJob", STAGING, "us-west-2", sourceModelArn=V1, targetModelName="x"
    )
    assert error.code == "AccessDeniedException"


def test_copy_to_a_failing_target_ends_failed_without_a_model(world: World) -> None:
    world.state["settings"]["failing_copy_targets"] = [f"{STAGING}/us-west-2"]
    world.share(V1)
    job = world.copy()
    world.advance(world.state["settings"]["copy_job_seconds"])
    failed = world.bedrock("GetModelCopyJob", STAGING, "us-west-2", jobArn=job)
    assert failed["status"] == "Failed"
    assert "us-west-2" in failed["failureMessage"]
    assert world.model_names(STAGING, "us-west-2") == []
    listed = world.bedrock("ListModelCopyJobs", STAGING, "us-west-2", statusEquals="Failed")[
        "modelCopyJobSummaries"
    ]
    assert [j["jobArn"] for j in listed] == [job]
    world.state["settings"]["failing_copy_targets"] = []
    world.copied(name="fa-v1")  # the name is free again after a failure


def test_list_model_copy_jobs_filters_and_paginates(world: World) -> None:
    world.share(V1)
    world.share(V2)
    first = world.copy(name="alpha")
    world.advance(60)
    second = world.copy(source=V2, name="beta")
    jobs = world.bedrock("ListModelCopyJobs", STAGING, "us-west-2")["modelCopyJobSummaries"]
    assert [j["jobArn"] for j in jobs] == [second, first]

    def listed(**filters: Any) -> list[str]:
        result = world.bedrock("ListModelCopyJobs", STAGING, "us-west-2", **filters)
        return [j["jobArn"] for j in result["modelCopyJobSummaries"]]

    assert listed(sourceModelArnEquals=V2) == [second]
    assert listed(targetModelNameContains="alp") == [first]
    assert listed(sourceAccountEquals=DEV, sortOrder="Ascending") == [first, second]
    assert listed(creationTimeAfter=world.now - timedelta(seconds=30)) == [second]
    assert listed(statusEquals="Completed") == []
    page = world.bedrock("ListModelCopyJobs", STAGING, "us-west-2", maxResults=1)
    assert [j["jobArn"] for j in page["modelCopyJobSummaries"]] == [second]
    rest = world.bedrock("ListModelCopyJobs", STAGING, "us-west-2", maxResults=1, nextToken=page["nextToken"])
    assert [j["jobArn"] for j in rest["modelCopyJobSummaries"]] == [first]
    assert "nextToken" not in rest
    assert (
        world.fails("bedrock", "GetModelCopyJob", STAGING, jobArn=first).code == "ResourceNotFoundException"
    )


# -- provisioned throughput ---------------------------------------------------------------------------------


def test_throughput_lifecycle_with_same_base_model_update(world: World) -> None:
    created = world.bedrock(
        "CreateProvisionedModelThroughput", DEV, modelUnits=1, provisionedModelName="dev-fa", modelId=V1
    )
    arn = created["provisionedModelArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/")
    view = world.bedrock("GetProvisionedModelThroughput", DEV, provisionedModelId="dev-fa")
    assert (view["status"], view["modelArn"], view["foundationModelArn"]) == ("Creating", V1, PRO_FM)
    assert "commitmentDuration" not in view
    world.advance(world.state["settings"]["throughput_seconds"])
    assert (
        world.bedrock("GetProvisionedModelThroughput", DEV, provisionedModelId=arn)["status"] == "InService"
    )

    world.bedrock("UpdateProvisionedModelThroughput", DEV, provisionedModelId=arn, desiredModelId=V2)
    updating = world.bedrock("GetProvisionedModelThroughput", DEV, provisionedModelId=arn)
    assert (updating["status"], updating["modelArn"], updating["desiredModelArn"]) == ("Updating", V1, V2)
    error = world.fails(
        "bedrock", "UpdateProvisionedModelThroughput", DEV, provisionedModelId=arn, desiredModelId=V1
    )
    assert error.code == "ValidationException"  # not while Updating
    error = world.fails("bedrock", "DeleteProvisionedModelThroughput", DEV, provisionedModelId=arn)
    assert error.code == "ConflictException"
    world.advance(world.state["settings"]["throughput_seconds"])
    served = world.bedrock("GetProvisionedModelThroughput", DEV, provisionedModelId=arn)
    assert (served["status"], served["modelArn"], served["desiredModelArn"]) == ("InService", V2, V2)

    error = world.fails(
        "bedrock", "UpdateProvisionedModelThroughput", DEV, provisionedModelId=arn, desiredModelId=NOVA
    )
    assert error.code == "ValidationException"
    assert "same base model" in error.message
    world.bedrock(
        "UpdateProvisionedModelThroughput", DEV, provisionedModelId=arn, desiredProvisionedModelName="renamed"
    )
    assert (
        world.bedrock("GetProvisionedModelThroughput", DEV, provisionedModelId="renamed")[
            "provisionedModelArn"
        ]
        == arn
    )
    world.bedrock("DeleteProvisionedModelThroughput", DEV, provisionedModelId="renamed")
    error = world.fails("bedrock", "GetProvisionedModelThroughput", DEV, provisionedModelId=arn)
    assert error.code == "ResourceNotFoundException"


def test_throughput_with_commitment_cannot_be_deleted_before_the_term_ends(world: World) -> None:
    created = world.bedrock(
        "CreateProvisionedModelThroughput",
        DEV,
        modelUnits=1,
        provisionedModelName="committed",
        modelId=V1,
        commitmentDuration="OneMonth",
    )
    view = world.bedrock(
        "GetProvisionedModelThroughput", DEV, provisionedModelId=created["provisionedModelArn"]
    )
    assert view["commitmentDuration"] == "OneMonth"
    assert view["commitmentExpirationTime"] == add_months(world.now, 1)
    world.advance(world.state["settings"]["throughput_seconds"])
    error = world.fails("bedrock", "DeleteProvisionedModelThroughput", DEV, provisionedModelId="committed")
    assert error.code == "ValidationException"
    assert "commitment" in error.message
    world.now = add_months(world.now, 1)
    world.bedrock("DeleteProvisionedModelThroughput", DEV, provisionedModelId="committed")


def test_throughput_create_refusals(world: World) -> None:
    def create(account: str, name: str, model: str, **extra: Any) -> object:
        return world.bedrock(
            "CreateProvisionedModelThroughput",
            account,
            modelUnits=1,
            provisionedModelName=name,
            modelId=model,
            **extra,
        )

    def refused(account: str, name: str, model: str) -> str:
        error = world.fails(
            "bedrock",
            "CreateProvisionedModelThroughput",
            account,
            modelUnits=1,
            provisionedModelName=name,
            modelId=model,
        )
        return error.code

    world.share(V1)
    assert refused(STAGING, "st-fa", V1) == "ValidationException"  # shared: copy it first
    assert (
        refused(
            DEV,
            "manual-experiment-2",
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
        )
        == "ValidationException"
    )
    assert refused(DEV, "x", "financial-analyst-v9") == "ResourceNotFoundException"
    create(DEV, "one", V1, clientRequestToken="tok-1")
    assert create(DEV, "one", V1, clientRequestToken="tok-1") == {
        "provisionedModelArn": world.bedrock("GetProvisionedModelThroughput", DEV, provisionedModelId="one")[
            "provisionedModelArn"
        ]
    }
    assert refused(DEV, "one", V2) == "ValidationException"  # name taken
    create(DEV, "two", V2)
    assert NO_COMMITMENT_THROUGHPUTS_PER_BASE_MODEL == 2
    assert refused(DEV, "three", V1) == "ServiceQuotaExceededException"
    create(DEV, "three", V1, commitmentDuration="SixMonths")
    create(DEV, "nova", NOVA)  # the quota counts per base model
    # Staging's hand-made throughput on the Nova Lite foundation model counts against the same quota.
    create(STAGING, "fm-two", LITE_FM)
    assert refused(STAGING, "fm-three", "amazon.nova-lite-v1:0:300k") == "ServiceQuotaExceededException"


def test_list_throughputs_filters_and_paginates(world: World) -> None:
    world.bedrock(
        "CreateProvisionedModelThroughput", DEV, modelUnits=1, provisionedModelName="a-fa", modelId=V1
    )
    world.advance(10)
    world.bedrock(
        "CreateProvisionedModelThroughput", DEV, modelUnits=2, provisionedModelName="b-ss", modelId=NOVA
    )

    def names(**filters: Any) -> list[str]:
        result = world.bedrock("ListProvisionedModelThroughputs", DEV, **filters)["provisionedModelSummaries"]
        return [s["provisionedModelName"] for s in result]

    assert names() == ["b-ss", "a-fa"]
    assert names(modelArnEquals=NOVA) == ["b-ss"]
    assert names(nameContains="fa", statusEquals="Creating") == ["a-fa"]
    assert names(statusEquals="InService") == []
    page = world.bedrock("ListProvisionedModelThroughputs", DEV, maxResults=1, sortOrder="Ascending")
    assert [s["provisionedModelName"] for s in page["provisionedModelSummaries"]] == ["a-fa"]
    assert page["nextToken"]
    manual = world.bedrock("ListProvisionedModelThroughputs", STAGING)["provisionedModelSummaries"]
    assert [(s["provisionedModelArn"], s["status"], s["modelArn"]) for s in manual] == [
        (MANUAL_THROUGHPUT_ARN, "InService", LITE_FM)
    ]


def test_copied_model_serves_capacity_in_the_recipients_region(world: World) -> None:
    world.share(V1)
    copy = world.copied(STAGING, "us-east-1", V1, "fa-v1")
    created = world.bedrock(
        "CreateProvisionedModelThroughput",
        STAGING,
        "us-east-1",
        modelUnits=1,
        provisionedModelName="staging-fa",
        modelId=copy,
    )
    view = world.bedrock(
        "GetProvisionedModelThroughput",
        STAGING,
        "us-east-1",
        provisionedModelId=created["provisionedModelArn"],
    )
    assert view["foundationModelArn"] == arns.foundation_model_arn("us-east-1", "amazon.nova-pro-v1:0:300k")


# -- custom model deployments -------------------------------------------------------------------------------


def test_deployment_create_update_delete(world: World) -> None:
    created = world.bedrock(
        "CreateCustomModelDeployment", DEV, modelDeploymentName="dev-fa", modelArn=V1, description="fa"
    )
    arn = created["customModelDeploymentArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/")
    assert (
        world.bedrock("GetCustomModelDeployment", DEV, customModelDeploymentIdentifier="dev-fa")["status"]
        == "Creating"
    )
    error = world.fails(
        "bedrock", "UpdateCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn, modelArn=V2
    )
    assert error.code == "ValidationException"  # not while Creating
    error = world.fails("bedrock", "DeleteCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn)
    assert error.code == "ConflictException"
    world.advance(world.state["settings"]["deployment_seconds"])
    assert (
        world.bedrock("GetCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn)["status"]
        == "Active"
    )

    updated = world.bedrock(
        "UpdateCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn, modelArn=V2
    )
    assert updated == {"customModelDeploymentArn": arn}
    during = world.bedrock("GetCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn)
    assert (during["status"], during["modelArn"]) == ("Active", V1)
    assert during["updateDetails"] == {"modelArn": V2, "updateStatus": "Updating"}
    world.advance(world.state["settings"]["deployment_seconds"])
    after = world.bedrock("GetCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn)
    assert after["modelArn"] == V2
    assert after["updateDetails"]["updateStatus"] == "UpdateCompleted"

    error = world.fails(
        "bedrock", "UpdateCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn, modelArn=NOVA
    )
    assert error.code == "ValidationException"
    world.bedrock("DeleteCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn)
    assert world.bedrock("ListCustomModelDeployments", DEV)["modelDeploymentSummaries"] == []
    error = world.fails("bedrock", "GetCustomModelDeployment", DEV, customModelDeploymentIdentifier=arn)
    assert error.code == "ResourceNotFoundException"


def test_deployment_refusals_idempotency_and_listing(world: World) -> None:
    world.share(V1)
    error = world.fails(
        "bedrock", "CreateCustomModelDeployment", STAGING, modelDeploymentName="st", modelArn=V1
    )
    assert error.code == "ValidationException"
    first = world.bedrock(
        "CreateCustomModelDeployment", DEV, modelDeploymentName="a", modelArn=V1, clientRequestToken="t1"
    )
    again = world.bedrock(
        "CreateCustomModelDeployment", DEV, modelDeploymentName="a", modelArn=V1, clientRequestToken="t1"
    )
    assert again == first
    error = world.fails("bedrock", "CreateCustomModelDeployment", DEV, modelDeploymentName="a", modelArn=V2)
    assert error.code == "ValidationException"
    world.advance(5)
    world.bedrock("CreateCustomModelDeployment", DEV, modelDeploymentName="b", modelArn=NOVA)

    def names(**filters: Any) -> list[str]:
        result = world.bedrock("ListCustomModelDeployments", DEV, **filters)["modelDeploymentSummaries"]
        return [s["customModelDeploymentName"] for s in result]

    assert names() == ["b", "a"]
    assert names(modelArnEquals=V1) == ["a"]
    assert names(nameContains="b", statusEquals="Creating") == ["b"]
    assert names(createdBefore=world.now - timedelta(seconds=1)) == ["a"]
    page = world.bedrock("ListCustomModelDeployments", DEV, maxResults=1)
    rest = world.bedrock("ListCustomModelDeployments", DEV, maxResults=1, nextToken=page["nextToken"])
    assert [s["customModelDeploymentName"] for s in rest["modelDeploymentSummaries"]] == ["a"]


# -- tags, catalogue, accessors -----------------------------------------------------------------------------


def test_tags_on_every_kind_of_resource(world: World) -> None:
    world.share(V1)
    copy = world.copied()
    throughput = world.bedrock(
        "CreateProvisionedModelThroughput",
        DEV,
        modelUnits=1,
        provisionedModelName="p",
        modelId=V1,
        tags=[{"key": "a", "value": "1"}],
    )["provisionedModelArn"]
    deployment = world.bedrock("CreateCustomModelDeployment", DEV, modelDeploymentName="d", modelArn=V1)[
        "customModelDeploymentArn"
    ]
    for account, region, arn in [
        (DEV, "us-east-1", V1),
        (DEV, "us-east-1", throughput),
        (DEV, "us-east-1", deployment),
        (STAGING, "us-west-2", copy),
    ]:
        world.bedrock(
            "TagResource",
            account,
            region,
            resourceARN=arn,
            tags=[{"key": "team", "value": "ml"}, {"key": "x", "value": "y"}],
        )
        world.bedrock("UntagResource", account, region, resourceARN=arn, tagKeys=["x"])
        tags = world.bedrock("ListTagsForResource", account, region, resourceARN=arn)["tags"]
        assert {"key": "team", "value": "ml"} in tags
        assert {"key": "x", "value": "y"} not in tags
    assert world.bedrock("ListTagsForResource", DEV, resourceARN=throughput)["tags"] == [
        {"key": "a", "value": "1"},
        {"key": "team", "value": "ml"},
    ]
    # Another account's resource (even one shared with the caller) is not the caller's to tag. (Copy jobs
    # cannot be tagged at all: TagResource's resourceARN pattern refuses model-copy-job ARNs.)
    assert (
        world.fails("bedrock", "TagResource", STAGING, resourceARN=V1, tags=[{"key": "k", "value": "v"}]).code
        == "ResourceNotFoundException"
    )
    assert (
        world.fails("bedrock", "ListTagsForResource", DEV, "us-west-2", resourceARN=V1).code
        == "ResourceNotFoundException"
    )
    many = [{"key": f"k{i}", "value": "v"} for i in range(199)]
    world.bedrock("TagResource", DEV, resourceARN=V2, tags=many)
    world.bedrock(
        "TagResource", DEV, resourceARN=V2, tags=[{"key": "k0", "value": "again"}]
    )  # replaces, not adds
    error = world.fails(
        "bedrock",
        "TagResource",
        DEV,
        resourceARN=V2,
        tags=[{"key": "one", "value": "1"}, {"key": "two", "value": "2"}],
    )
    assert error.code == "TooManyTagsException"


def test_foundation_model_catalogue(world: World) -> None:
    details = world.bedrock(
        "GetFoundationModel", DEV, "eu-west-1", modelIdentifier="amazon.nova-lite-v1:0:300k"
    )["modelDetails"]
    assert details["modelArn"] == "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0:300k"
    assert (
        world.bedrock("GetFoundationModel", DEV, modelIdentifier=PRO_FM)["modelDetails"]["modelId"]
        == "amazon.nova-pro-v1:0:300k"
    )
    assert (
        world.fails(
            "bedrock", "GetFoundationModel", DEV, "sa-east-1", modelIdentifier="amazon.nova-lite-v1:0"
        ).code
        == "ResourceNotFoundException"
    )
    ids = [
        m["modelId"] for m in world.bedrock("ListFoundationModels", DEV, "ap-northeast-1")["modelSummaries"]
    ]
    assert ids == [
        "amazon.nova-lite-v1:0",
        "amazon.nova-lite-v1:0:300k",
        "amazon.nova-pro-v1:0",
        "amazon.nova-pro-v1:0:300k",
        "amazon.titan-text-express-v1",
        "amazon.titan-text-express-v1:0:8k",
        "meta.llama3-1-8b-instruct-v1:0",
    ]
    provisioned = world.bedrock(
        "ListFoundationModels", DEV, byInferenceType="PROVISIONED", byProvider="amazon"
    )["modelSummaries"]
    assert [m["modelId"] for m in provisioned] == [
        "amazon.nova-lite-v1:0:300k",
        "amazon.nova-pro-v1:0:300k",
        "amazon.titan-text-express-v1:0:8k",
    ]
    assert world.bedrock("ListFoundationModels", DEV, "sa-east-1")["modelSummaries"] == []


def test_resource_counts_and_settle(world: World) -> None:
    assert bedrock.resource_counts(world.state) == {
        f"{DEV}/us-east-1": {"models": 3, "copy_jobs": 0, "throughputs": 0, "deployments": 0},
        f"{STAGING}/us-east-1": {"models": 0, "copy_jobs": 0, "throughputs": 1, "deployments": 0},
    }
    world.share(V1)
    world.copy()
    bedrock.settle(world.state, world.now + timedelta(seconds=world.state["settings"]["copy_job_seconds"]))
    assert bedrock.resource_counts(world.state)[f"{STAGING}/us-west-2"] == {
        "models": 1,
        "copy_jobs": 1,
        "throughputs": 0,
        "deployments": 0,
    }


def test_ids_are_reproducible(world: World) -> None:
    other = World()
    for w in (world, other):
        w.share(V1)
    assert world.copy() == other.copy()
