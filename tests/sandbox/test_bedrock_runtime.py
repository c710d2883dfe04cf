"""The simulated bedrock-runtime: a custom model is invoked through its capacity only, once it is ready;
native bodies are checked per family; answers are deterministic, and settings make a version misbehave."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox import seed
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.seed import FINANCIAL_ANALYST_V2, MANUAL_THROUGHPUT_ARN, STAGING
from tests.sandbox.test_simulation import client, share

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
    share(sandbox, arn=FINANCIAL_ANALYST_V2)
    bedrock = client(sandbox, "bedrock", STAGING)
    job = bedrock.create_model_copy_job(
        sourceModelArn=FINANCIAL_ANALYST_V2, targetModelName="financial-analyst-v2"
    )
    sandbox.advance(1200)
    model = bedrock.get_model_copy_job(jobArn=job["jobArn"])["targetModelArn"]
    arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="staging-fa", modelId=model
    )["provisionedModelArn"]
    runtime = client(sandbox, "bedrock-runtime", STAGING)
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=arn, messages=MESSAGES)
    assert "is Creating and cannot serve requests yet" in caught.value.response["Error"]["Message"]
    sandbox.advance(600)
    answer = runtime.converse(modelId=arn, messages=MESSAGES)
    assert answer["output"]["message"]["content"] == [{"text": "financial-analyst-v2: What drove revenue?"}]
    assert answer["metrics"]["latencyMs"] == 180
    # The native format of the version's family (Titan Text: inputText/results; Nova: messages/output).
    titan = seed.SEED_MODELS[FINANCIAL_ANALYST_V2][1].startswith("amazon.titan-text")
    request = (
        {"inputText": "Reply in JSON"}
        if titan
        else {"messages": [{"role": "user", "content": [{"text": "Reply in JSON"}]}]}
    )
    native = runtime.invoke_model(modelId=arn, body=json.dumps(request))
    body = json.loads(native["body"].read())
    text = body["results"][0]["outputText"] if titan else body["output"]["message"]["content"][0]["text"]
    assert json.loads(text) == {"model": "financial-analyst-v2", "answer": "Reply in JSON"}
    assert native["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-invocation-latency"] == "180"
    with pytest.raises(ClientError) as caught:
        runtime.invoke_model(modelId=arn, body=json.dumps({"prompt": "the wrong family's format"}))
    assert "Malformed input request: #: required key [" in caught.value.response["Error"]["Message"]
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
    base_model = seed.seed_state()["bedrock"][f"{STAGING}/us-east-1"]["throughputs"][MANUAL_THROUGHPUT_ARN]
    assert answer["output"]["message"]["content"][0]["text"].startswith(f"{base_model['base_model_id']}: ")
