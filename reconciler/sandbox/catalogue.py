"""The simulated foundation model catalogue (the base models our custom models are fine-tuned from)."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, not_found

CATALOGUE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
# id -> (name, provider, customizations, inference types)
FOUNDATION_MODELS: dict[str, tuple[str, str, list[str], list[str]]] = {
    "amazon.titan-text-express-v1": ("Titan Text G1 - Express", "Amazon", [], ["ON_DEMAND"]),
    "amazon.titan-text-express-v1:0:8k": (
        "Titan Text G1 - Express",
        "Amazon",
        ["FINE_TUNING", "CONTINUED_PRE_TRAINING"],
        ["PROVISIONED"],
    ),
    "amazon.nova-lite-v1:0": ("Nova Lite", "Amazon", [], ["ON_DEMAND"]),
    "amazon.nova-lite-v1:0:300k": ("Nova Lite", "Amazon", ["FINE_TUNING", "DISTILLATION"], ["PROVISIONED"]),
    "meta.llama3-1-8b-instruct-v1:0": ("Llama 3.1 8B Instruct", "Meta", ["FINE_TUNING"], ["ON_DEMAND"]),
}


def base_model_name(model_id: str) -> str:
    known = FOUNDATION_MODELS.get(model_id)
    return known[0] if known else model_id


def _details(region: str, model_id: str) -> dict[str, Any]:
    name, provider, customizations, inference = FOUNDATION_MODELS[model_id]
    return {
        "modelArn": arns.foundation_model_arn(region, model_id),
        "modelId": model_id,
        "modelName": name,
        "providerName": provider,
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": customizations,
        "inferenceTypesSupported": inference,
        "modelLifecycle": {"status": "ACTIVE"},
    }


def get_foundation_model(call: Call) -> dict[str, Any]:
    identifier = call.params["modelIdentifier"]
    model_id = identifier.rsplit("foundation-model/", 1)[-1]
    if call.region not in CATALOGUE_REGIONS or model_id not in FOUNDATION_MODELS:
        raise not_found(f"The model {identifier} is not available in {call.region}.")
    return {"modelDetails": _details(call.region, model_id)}


def list_foundation_models(call: Call) -> dict[str, Any]:
    if call.region not in CATALOGUE_REGIONS:
        return {"modelSummaries": []}
    return {"modelSummaries": [_details(call.region, model_id) for model_id in sorted(FOUNDATION_MODELS)]}


FOUNDATION_HANDLERS: dict[str, Handler] = {
    "GetFoundationModel": get_foundation_model,
    "ListFoundationModels": list_foundation_models,
}
