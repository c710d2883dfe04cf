"""What every simulated Bedrock operation shares: the foundation model catalogue (data), per-scope state,
times, tags, idempotency fingerprints and pagination. The state layout is documented in bedrock.py."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from reconciler.core import support
from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, not_found, validation_error

# -- the foundation model catalogue -------------------------------------------------------------------------

CATALOGUE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
# model id -> details (modelName has at most 20 characters in the API). The `:0:8k` / `:0:300k` variants
# are the customizable, provisionable ones custom models are built on; the plain ids are on-demand models.
FOUNDATION_MODELS: dict[str, dict[str, Any]] = {
    "amazon.titan-text-express-v1": {
        "modelName": "Titan Text Express",
        "providerName": "Amazon",
        "customizationsSupported": [],
        "inferenceTypesSupported": ["ON_DEMAND"],
    },
    "amazon.titan-text-express-v1:0:8k": {
        "modelName": "Titan Text Express",
        "providerName": "Amazon",
        "customizationsSupported": ["FINE_TUNING", "CONTINUED_PRE_TRAINING"],
        "inferenceTypesSupported": ["PROVISIONED"],
    },
    "amazon.nova-lite-v1:0": {
        "modelName": "Nova Lite",
        "providerName": "Amazon",
        "customizationsSupported": [],
        "inferenceTypesSupported": ["ON_DEMAND"],
    },
    "amazon.nova-lite-v1:0:300k": {
        "modelName": "Nova Lite",
        "providerName": "Amazon",
        "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "inferenceTypesSupported": ["PROVISIONED"],
    },
    "amazon.nova-pro-v1:0": {
        "modelName": "Nova Pro",
        "providerName": "Amazon",
        "customizationsSupported": [],
        "inferenceTypesSupported": ["ON_DEMAND"],
    },
    "amazon.nova-pro-v1:0:300k": {
        "modelName": "Nova Pro",
        "providerName": "Amazon",
        "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "inferenceTypesSupported": ["PROVISIONED"],
    },
    "meta.llama3-1-8b-instruct-v1:0": {
        "modelName": "Llama 3.1 8B",
        "providerName": "Meta",
        "customizationsSupported": ["FINE_TUNING"],
        "inferenceTypesSupported": ["ON_DEMAND"],
    },
}


def foundation_model_available(model_id: str, region: str) -> bool:
    return region in CATALOGUE_REGIONS and model_id in FOUNDATION_MODELS


def foundation_model_details(model_id: str, region: str) -> dict[str, Any]:
    return {
        "modelArn": arns.foundation_model_arn(region, model_id),
        "modelId": model_id,
        **FOUNDATION_MODELS[model_id],
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "modelLifecycle": {"status": "ACTIVE"},
    }


def get_foundation_model(call: Call) -> dict[str, Any]:
    identifier = call.params["modelIdentifier"]
    parsed = arns.parse_arn(identifier)
    model_id = (
        parsed.resource if parsed is not None and parsed.resource_type == "foundation-model" else identifier
    )
    if not foundation_model_available(model_id, call.region):
        raise not_found(f"The provided model identifier is invalid: {identifier}")
    return {"modelDetails": foundation_model_details(model_id, call.region)}


def list_foundation_models(call: Call) -> dict[str, Any]:
    p = call.params
    found = []
    for model_id in sorted(FOUNDATION_MODELS):
        if not foundation_model_available(model_id, call.region):
            continue
        details = foundation_model_details(model_id, call.region)
        if p.get("byProvider") and p["byProvider"].lower() != details["providerName"].lower():
            continue
        if (
            p.get("byCustomizationType")
            and p["byCustomizationType"] not in details["customizationsSupported"]
        ):
            continue
        if p.get("byInferenceType") and p["byInferenceType"] not in details["inferenceTypesSupported"]:
            continue
        if p.get("byOutputModality") and p["byOutputModality"] not in details["outputModalities"]:
            continue
        found.append(details)
    return {"modelSummaries": found}


def require_support(base_model_id: str, need: support.Need, region: str) -> None:
    """Refuse, as AWS does, a copy, provisioned throughput or on-demand deployment of a model built on
    `base_model_id` where the Bedrock user guide does not list it (reconciler/data/bedrock-support.json, the
    table the preflight reads too; each row cites its page and the day it was read).

    The code is ValidationException (HTTP 400, "The input fails to satisfy the constraints specified by
    Amazon Bedrock": "Troubleshooting Amazon Bedrock API Error Codes",
    https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html). The support
    pages say where each is offered, not which error a refusal carries, and a common error may come from any
    operation (CreateModelCopyJob's modelled errors have no better fit)."""
    if support.supports(base_model_id, need, region):
        return
    row = support.support_row(base_model_id, need)
    where = f"supported Regions: {', '.join(row.regions) or 'none'}; {row.cite()}" if row else "not listed"
    raise validation_error(
        f"{support.WORDS[need].capitalize()} isn't supported for models customized from {base_model_id} in "
        f"{region} ({where})."
    )


# -- state --------------------------------------------------------------------------------------------------

SCOPE_KINDS = ("models", "copy_jobs", "throughputs", "deployments")


def scope_key(account: str, region: str) -> str:
    return f"{account}/{region}"


def scope_of(state: dict[str, Any], account: str, region: str, create: bool = False) -> dict[str, Any]:
    """`state["bedrock"]["<account>/<region>"]`. A scope never written to reads as empty; only `create`
    attaches it to the state, so reads (and refused requests) leave the document unchanged."""
    scopes: dict[str, Any] = state.setdefault("bedrock", {})
    scope: dict[str, Any] | None = scopes.get(scope_key(account, region))
    if scope is None:
        scope = {}
        if create:
            scopes[scope_key(account, region)] = scope
    for kind in SCOPE_KINDS:
        scope.setdefault(kind, {})
    return scope


def caller_scope(call: Call, create: bool = False) -> dict[str, Any]:
    return scope_of(call.state, call.account, call.region, create)


def settings_of(state: Mapping[str, Any]) -> Mapping[str, Any]:
    settings: Mapping[str, Any] = state.get("settings", {})
    return settings


def find_model(state: dict[str, Any], arn: str) -> dict[str, Any] | None:
    """Any account's custom model by ARN (the ARN names its account and Region)."""
    parsed = arns.parse_arn(arn)
    if parsed is None or parsed.resource_type != "custom-model" or not parsed.account:
        return None
    scope = state.get("bedrock", {}).get(scope_key(parsed.account, parsed.region), {})
    model: dict[str, Any] | None = scope.get("models", {}).get(arn)
    return model


# -- times, tags, tokens ------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat()


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def tag_dict(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {tag["key"]: tag.get("value", "") for tag in tags or ()}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted(tags.items())]


def fingerprint(params: Mapping[str, Any], token_member: str = "clientRequestToken") -> str:
    """What makes two requests "the same request" for idempotency: every member but the token."""
    stable = {key: value for key, value in params.items() if key != token_member}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def repeated(
    items: Mapping[str, Mapping[str, Any]],
    params: Mapping[str, Any],
    what: str,
    scope: Mapping[str, Any] | None = None,
) -> str | None:
    """The ARN made earlier by this clientRequestToken, when the request repeats; None for a new token.

    AWS: "If this token matches a previous request, Amazon Bedrock ignores the request, but does not return
    an error" (clientRequestToken, e.g. CreateModelCopyJob's API reference,
    https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateModelCopyJob.html; "Ensuring
    idempotency", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Run_Instance_Idempotency.html): the
    same request answers the original result. The same token with different parameters is an idempotency
    error; the operations that take a clientRequestToken do not model ConflictException or an idempotency
    error, so it is a ValidationException (a common error of every operation).

    A token whose resource was deleted since (retire_token) is undocumented: the sandbox refuses it
    (ValidationException), the adversarial choice, so that the reconciler never depends on what AWS does
    then (core/names.py gives a re-created resource a new token).
    """
    token = params.get("clientRequestToken")
    if not token:
        return None
    retired = (scope or {}).get("retired_tokens", {}).get(token)
    if retired is not None:
        raise validation_error(
            f"The client request token {token} was used for {retired}, which has been deleted since. Use a "
            "new token to create it again."
        )
    for arn, item in items.items():
        if item.get("token") == token:
            if item.get("fingerprint") != fingerprint(params):
                raise validation_error(
                    f"The client request token {token} was already used to create {what} {arn} with "
                    "different parameters. Use a new token for a different request."
                )
            return arn
    return None


def retire_token(scope: dict[str, Any], token: str | None, what: str) -> None:
    """Remember that `token` made `what`, now deleted (see repeated)."""
    if token:
        scope.setdefault("retired_tokens", {})[token] = what


# -- pagination ---------------------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 100


def page(
    items: list[Any], params: Mapping[str, Any], default_size: int = DEFAULT_PAGE_SIZE
) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` and, when more follow, {"nextToken": ...} (opaque: base64 of the offset)."""
    size = int(params.get("maxResults") or default_size)
    start = decode_token(params.get("nextToken"))
    if start is None:
        raise validation_error(f"The provided nextToken is invalid: {params.get('nextToken')}")
    end = start + size
    return items[start:end], ({"nextToken": encode_token(end)} if end < len(items) else {})


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int | None:
    """The offset a nextToken stands for (0 without one); None when the token is not one of ours."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


def in_time_window(moment: datetime, after: datetime | None, before: datetime | None) -> bool:
    return (after is None or moment > after) and (before is None or moment < before)


def sort_by_creation(
    items: list[dict[str, Any]], time_key: str, arn_key: str, params: Mapping[str, Any]
) -> None:
    """sortBy has only CreationTime, newest first unless asked otherwise (the documented default of
    ListCustomModelDeployments, applied to every list); ties go by ARN so listings are reproducible."""
    items.sort(
        key=lambda item: (item[time_key], item[arn_key]), reverse=params.get("sortOrder") != "Ascending"
    )
