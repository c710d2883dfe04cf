"""Simulated Amazon Bedrock runtime: `InvokeModel` and `Converse` through a provisioned throughput or a
custom model deployment, answered deterministically per model version.

A custom model is invoked through its capacity, never by its own name or ARN (Bedrock user guide, "Use a
custom model for on-demand inference" / "Run inference using a Provisioned Throughput":
https://docs.aws.amazon.com/bedrock/latest/userguide/prov-thru-use.html), and only once that capacity is
InService / Active. The answer repeats the prompt after the served model's name (as JSON when the prompt
asks for JSON); sandbox settings make a version misbehave, matched against any name or ARN along its copy
chain (so a setting on the dev model follows its copies):

- `wrong_answer_models`: answers "I am not able to help with that." instead;
- `slow_answer_models`: answers right, but reports 45 s of latency;
- `unanswering_models`: every invocation fails with ModelTimeoutException.

Latency is reported, never slept: Converse in `metrics.latencyMs`, InvokeModel in the
`X-Amzn-Bedrock-Invocation-Latency` header (user guide, "Monitor model invocation": the header Bedrock
adds to InvokeModel responses).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, SimulatedError, not_found
from reconciler.sandbox.api import validation_error as invalid
from reconciler.sandbox.bedrock_common import caller_scope, find_model, settings_of

NORMAL_LATENCY_MS = 180
SLOW_LATENCY_MS = 45_000
WRONG_ANSWER = "I am not able to help with that."
LATENCY_HEADER = "X-Amzn-Bedrock-Invocation-Latency"


def _served_model(call: Call) -> tuple[str, dict[str, Any]]:
    """(custom model ARN, its record) served by the capacity named in modelId; errors as Bedrock's."""
    model_id = call.params["modelId"]
    parsed = arns.parse_arn(model_id)
    if parsed is None or parsed.resource_type not in ("provisioned-model", "custom-model-deployment"):
        # A custom model's own ARN or name is refused: it is served only through its capacity.
        raise invalid(
            f"The provided model identifier is invalid: {model_id} is not a provisioned model or a custom "
            "model deployment of this account; invoke a custom model through its capacity."
        )
    scope = caller_scope(call)
    if parsed.resource_type == "provisioned-model":
        capacity = scope["throughputs"].get(model_id)
        ready = capacity is not None and capacity["status"] in ("InService", "Updating")
    else:
        capacity = scope["deployments"].get(model_id)
        ready = capacity is not None and capacity["status"] == "Active"
    if capacity is None or parsed.account != call.account or parsed.region != call.region:
        raise not_found(f"The model {model_id} was not found in account {call.account}, {call.region}.")
    if not ready:
        raise invalid(f"The model {model_id} is {capacity['status']} and cannot serve requests yet.")
    model_arn = str(capacity["model_arn"])
    served = arns.parse_arn(model_arn)
    if served is not None and served.resource_type == "foundation-model":
        # Throughput bought for a base model (like the seed's hand-made one): answered as that model.
        return model_arn, {"name": served.resource, "base_model_id": served.resource, "copied_from": None}
    model = find_model(call.state, model_arn)
    if model is None:
        raise not_found(f"The custom model {model_arn} behind {model_id} no longer exists.")
    return model_arn, model


def _identities(call: Call, model_arn: str, model: Mapping[str, Any]) -> set[str]:
    """Names and ARNs along the copy chain of the served model, origin included."""
    found = {model_arn, str(model["name"])}
    source = model.get("copied_from")
    seen = {model_arn}
    while source and source not in seen:
        seen.add(source)
        found.add(source)
        record = find_model(call.state, source)
        if record is None:
            break
        found.add(str(record["name"]))
        source = record.get("copied_from")
    return found


def _behaviour(call: Call, identities: set[str]) -> str:
    settings = settings_of(call.state)
    for behaviour in ("unanswering", "wrong_answer", "slow_answer"):
        if identities & set(settings.get(f"{behaviour}_models", [])):
            return behaviour
    return "normal"


def _answer(name: str, prompt: str, behaviour: str) -> tuple[str, int]:
    if behaviour == "unanswering":
        raise SimulatedError("ModelTimeoutException", "The request took too long to process.", 408)
    latency = SLOW_LATENCY_MS if behaviour == "slow_answer" else NORMAL_LATENCY_MS
    if behaviour == "wrong_answer":
        return WRONG_ANSWER, latency
    if "json" in prompt.lower():
        return json.dumps({"model": name, "answer": prompt}), latency
    return f"{name}: {prompt}", latency


def _texts(content: Any) -> str:
    if not isinstance(content, list):
        return ""
    return " ".join(str(block["text"]) for block in content if isinstance(block, dict) and "text" in block)


def _native_prompt(base_model_id: str, body: Any) -> str:
    """The prompt of a native request body, checked as the family's schema requires."""
    if not isinstance(body, dict):
        raise invalid("Malformed input request: the body is not a JSON object, please reformat your input.")
    if base_model_id.startswith("amazon.titan-text"):
        if not isinstance(body.get("inputText"), str):
            raise invalid(
                "Malformed input request: #: required key [inputText] not found, please reformat "
                "your input and try again."
            )
        return str(body["inputText"])
    if base_model_id.startswith("amazon.nova"):
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise invalid(
                "Malformed input request: #: required key [messages] not found, please reformat "
                "your input and try again."
            )
        return _texts(messages[-1].get("content") if isinstance(messages[-1], dict) else None)
    raise invalid(f"The sandbox does not simulate the native request format of {base_model_id}.")


def _native_response(base_model_id: str, prompt: str, text: str) -> dict[str, Any]:
    tokens_in, tokens_out = len(prompt.split()), len(text.split())
    if base_model_id.startswith("amazon.titan-text"):
        return {
            "inputTextTokenCount": tokens_in,
            "results": [{"tokenCount": tokens_out, "outputText": text, "completionReason": "FINISH"}],
        }
    return _converse_answer(text, tokens_in, tokens_out)


def invoke_model(call: Call) -> dict[str, Any]:
    model_arn, model = _served_model(call)
    raw = call.params.get("body", b"")
    try:
        body = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
    except ValueError:
        raise invalid(
            "Malformed input request: the body is not valid JSON, please reformat your input."
        ) from None
    base_model_id = str(model["base_model_id"])
    prompt = _native_prompt(base_model_id, body)
    text, latency = _answer(str(model["name"]), prompt, _behaviour(call, _identities(call, model_arn, model)))
    return {
        "body": json.dumps(_native_response(base_model_id, prompt, text)).encode(),
        "contentType": "application/json",
        # Not an output member: the hook adds extra headers as they are.
        "__headers__": {LATENCY_HEADER: str(latency)},
    }


def converse(call: Call) -> dict[str, Any]:
    model_arn, model = _served_model(call)
    messages = call.params["messages"]
    prompt = _texts(messages[-1].get("content")) if messages else ""
    text, latency = _answer(str(model["name"]), prompt, _behaviour(call, _identities(call, model_arn, model)))
    tokens_in, tokens_out = len(prompt.split()), len(text.split())
    return {**_converse_answer(text, tokens_in, tokens_out), "metrics": {"latencyMs": latency}}


def _converse_answer(text: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    """The Converse response shape, also what the Nova native format answers with."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": tokens_in,
            "outputTokens": tokens_out,
            "totalTokens": tokens_in + tokens_out,
        },
    }


HANDLERS: dict[str, Handler] = {"InvokeModel": invoke_model, "Converse": converse}
