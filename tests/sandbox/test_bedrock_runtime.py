"""The simulated bedrock-runtime: a custom model is invoked through its capacity only, once it is ready;
native bodies are checked per family; answers are deterministic, and settings make a version misbehave."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.seed import FINANCIAL_ANALYST_V2, MANUAL_THROUGHPUT_ARN, STAGING
from tests.sandbox.test_simulation import client, copied

MESSAGES = [{"role": "user", "content": [{"text": "What drove revenue?"}]}]


def code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_a_custom_model_is_invoked_through_its_capacity_only(sandbox: SandboxEstate) -> None:
    runtime = client(sandbox, "bedrock-runtime", STAGING)
    for custom_model in (FINANCIAL_ANALYST_V2, "financial-analyst-v2"):  # its ARN or its name
        with pytest.raises(ClientError) as caught:
            runtime.converse(modelId=custom_model, messages=MESSAGES)
        assert code(caught) == "ValidationException"
    assert "invoke a custom model through its capacity" in caught.value.response["Error"]["Message"]
    missing = f"arn:aws:bedrock:us-east-1:{STAGING}:provisioned-model/abcdefabcdef"
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=missing, messages=MESSAGES)
    assert code(caught) == "ResourceNotFoundException"


def test_answers_are_deterministic_and_settings_make_a_version_misbehave(sandbox: SandboxEstate) -> None:
    model = copied(sandbox, FINANCIAL_ANALYST_V2, "financial-analyst-v2")
    bedrock = client(sandbox, "bedrock", STAGING, "us-west-2")
    arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="staging-fa", modelId=model
    )["provisionedModelArn"]
    runtime = client(sandbox, "bedrock-runtime", STAGING, "us-west-2")
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=arn, messages=MESSAGES)
    assert "is Creating and cannot serve requests yet" in caught.value.response["Error"]["Message"]
    sandbox.advance(600)
    answer = runtime.converse(modelId=arn, messages=MESSAGES)
    assert answer["output"]["message"]["content"] == [{"text": "financial-analyst-v2: What drove revenue?"}]
    assert answer["metrics"]["latencyMs"] == 180
    native = runtime.invoke_model(modelId=arn, body=json.dumps({"inputText": "Reply in JSON"}))
    body = json.loads(native["body"].read())
    assert json.loads(body["results"][0]["outputText"]) == {
        "model": "financial-analyst-v2",
        "answer": "Reply in JSON",
    }
    assert native["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-invocation-latency"] == "180"
    with pytest.raises(ClientError) as caught:
        runtime.invoke_model(modelId=arn, body=json.dumps({"messages": []}))
    assert "required key [inputText] not found" in caught.value.response["Error"]["Message"]
    # A setting on the dev model follows its copies.
    sandbox.update_settings(slow_answer_models=[FINANCIAL_ANALYST_V2])
    assert runtime.converse(modelId=arn, messages=MESSAGES)["metrics"]["latencyMs"] == 45_000
    sandbox.update_settings(slow_answer_models=[], wrong_answer_models=["financial-analyst-v2"])
    wrong = runtime.converse(modelId=arn, messages=MESSAGES)
    assert wrong["output"]["message"]["content"][0]["text"] == "I am not able to help with that."
    sandbox.update_settings(wrong_answer_models=[], unanswering_models=["financial-analyst-v2"])
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=arn, messages=MESSAGES)
    assert code(caught) == "ModelTimeoutException"


def test_throughput_for_a_base_model_answers_as_that_model(sandbox: SandboxEstate) -> None:
    runtime = client(sandbox, "bedrock-runtime", STAGING)
    answer = runtime.converse(modelId=MANUAL_THROUGHPUT_ARN, messages=MESSAGES)
    assert answer["output"]["message"]["content"][0]["text"].startswith("amazon.titan-text-express-v1:0:8k: ")
