"""The simulated fine-tuning jobs (CreateModelCustomizationJob and its reads), on a fresh seed."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox.arns import custom_model_base_id
from tests.sandbox.handler_support import DEV, STAGING, World

JOB = {
    "jobName": "fa-training-3",
    "customModelName": "financial-analyst-3",
    "roleArn": f"arn:aws:iam::{DEV}:role/BedrockModelCustomization",
    "baseModelIdentifier": "amazon.titan-text-express-v1:0:8k",
    "trainingDataConfig": {"s3Uri": "s3://fa-training/train.jsonl"},
    "validationDataConfig": {"validators": [{"s3Uri": "s3://fa-training/validation.jsonl"}]},
    "outputDataConfig": {"s3Uri": "s3://fa-training/output/"},
    "hyperParameters": {"epochCount": "2"},
}


@pytest.fixture
def world() -> World:
    return World()


def _start(world: World, **changes: Any) -> str:
    return str(world.bedrock("CreateModelCustomizationJob", DEV, **{**JOB, **changes})["jobArn"])


def test_a_job_runs_then_yields_a_real_form_custom_model_with_its_provenance(world: World) -> None:
    job_arn = _start(world)
    running = world.bedrock("GetModelCustomizationJob", DEV, jobIdentifier=job_arn)
    assert running["status"] == "InProgress"
    assert "outputModelArn" not in running
    assert "financial-analyst-3" not in world.model_names(DEV)

    world.advance(world.state["settings"]["customization_job_seconds"])
    done = world.bedrock("GetModelCustomizationJob", DEV, jobIdentifier="fa-training-3")  # by name too
    assert done["status"] == "Completed"
    model_arn = done["outputModelArn"]
    assert custom_model_base_id(model_arn) == "amazon.titan-text-express-v1:0:8k"
    model = world.bedrock("GetCustomModel", DEV, modelIdentifier=model_arn)
    assert model["jobArn"] == job_arn
    assert model["trainingDataConfig"] == {"s3Uri": "s3://fa-training/train.jsonl"}
    assert model["hyperParameters"] == {"epochCount": "2"}
    assert "trainingLoss" in model["trainingMetrics"]
    listed = world.bedrock("ListModelCustomizationJobs", DEV, statusEquals="Completed")
    assert [s["customModelArn"] for s in listed["modelCustomizationJobSummaries"]] == [model_arn]
    # The job is the caller's own: another account does not see it.
    assert world.fails("bedrock", "GetModelCustomizationJob", STAGING, jobIdentifier=job_arn).code == (
        "ResourceNotFoundException"
    )


def test_names_in_use_unsupported_customizations_and_unknown_base_models_are_refused(world: World) -> None:
    _start(world)
    assert world.fails("bedrock", "CreateModelCustomizationJob", DEV, **JOB).code == "ConflictException"
    taken = {**JOB, "jobName": "other", "customModelName": "financial-analyst-v1"}  # a seeded model's name
    assert world.fails("bedrock", "CreateModelCustomizationJob", DEV, **taken).code == "ConflictException"
    distil = {**JOB, "jobName": "d", "customModelName": "d", "customizationType": "DISTILLATION"}
    assert world.fails("bedrock", "CreateModelCustomizationJob", DEV, **distil).code == "ValidationException"
    unknown = {**JOB, "jobName": "u", "customModelName": "u", "baseModelIdentifier": "acme.nothing-v1"}
    assert world.fails("bedrock", "CreateModelCustomizationJob", DEV, **unknown).code == (
        "ResourceNotFoundException"
    )


def test_the_same_token_and_request_returns_the_same_job(world: World) -> None:
    first = _start(world, clientRequestToken="tok-1")
    assert _start(world, clientRequestToken="tok-1") == first
    changed = {**JOB, "jobName": "other", "clientRequestToken": "tok-1"}
    assert world.fails("bedrock", "CreateModelCustomizationJob", DEV, **changed).code == "ValidationException"
