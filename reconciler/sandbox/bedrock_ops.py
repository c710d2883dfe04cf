"""Simulated Bedrock control plane: custom models (owned and shared), model copy jobs, provisioned
throughput, custom model deployments, tags, and a small foundation model catalogue.

State layout, `state["bedrock"]["<account>/<region>"]`:
  models:       {arn: {name, base_model_id, customization_type, status, created, owner, kms_key, job_arn,
                       tags}}
  copy_jobs:    {arn: {status, created, done_at, source_model_arn, source_account, target_model_name,
                       target_model_arn, kms_key, tags, failure, will_fail, token, fingerprint}}
  throughputs:  {arn: {name, model_arn, desired_model_arn, base_model_id, units, status, commitment,
                       commitment_expiration, created, updated, ready_at, tags, token}}
  deployments:  {arn: {name, model_arn, description, status, created, updated, ready_at, tags, token}}
Asynchronous work is settled lazily against the simulated clock at the start of every call (`settle`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import (
    Call,
    Handler,
    SimulatedError,
    access_denied,
    conflict,
    next_sequence,
    not_found,
)
from reconciler.sandbox.api import validation_error as invalid
from reconciler.sandbox.capacity_ops import CAPACITY_HANDLERS, settle_capacity
from reconciler.sandbox.catalogue import FOUNDATION_HANDLERS
from reconciler.sandbox.paging import page, scope_of, tags_of, when

COPYABLE_CUSTOMIZATIONS = frozenset({"FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"})


def settle(state: dict[str, Any], now: datetime) -> None:
    settings = state.get("settings", {})
    for key, scope in state.setdefault("bedrock", {}).items():
        account = key.split("/")[0]
        for job_arn, job in scope.get("copy_jobs", {}).items():
            if job["status"] != "InProgress" or when(job["done_at"]) > now:
                continue
            job["ended"] = job["done_at"]
            if job["will_fail"]:
                job["status"] = "Failed"
                job["failure"] = (
                    "The model copy job failed: the target Region could not receive the model data."
                )
                continue
            job["status"] = "Completed"
            source = find_model(state, job["source_model_arn"])
            scope.setdefault("models", {})[job["target_model_arn"]] = {
                "name": job["target_model_name"],
                "base_model_id": source["base_model_id"] if source else "unknown",
                "customization_type": source["customization_type"] if source else "FINE_TUNING",
                "status": "Active",
                "created": job["done_at"],
                "owner": account,
                "kms_key": job["kms_key"],
                "job_arn": job_arn,
                "tags": dict(job["tags"]),
            }
    settle_capacity(state, now, settings)


def find_model(state: dict[str, Any], arn: str) -> dict[str, Any] | None:
    parsed = arns.parse_arn(arn)
    if parsed is None:
        return None
    model: dict[str, Any] | None = scope_of(state, parsed.account, parsed.region)["models"].get(arn)
    return model


def _shared_with(state: dict[str, Any], account: str, region: str) -> set[str]:
    from reconciler.sandbox.ram_ops import resources_shared_with

    return resources_shared_with(state, account, region)


def _summary(arn: str, model: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "modelArn": arn,
        "modelName": model["name"],
        "creationTime": when(model["created"]),
        "baseModelArn": arns.foundation_model_arn(region, model["base_model_id"]),
        # The API reports the base model's id without its variant suffix here (the field's pattern is `a.b`).
        "baseModelName": model["base_model_id"].split(":")[0],
        "customizationType": model["customization_type"],
        "ownerAccountId": model["owner"],
        "modelStatus": model["status"],
    }


def list_custom_models(call: Call) -> dict[str, Any]:
    p = call.params
    owned = scope_of(call.state, call.account, call.region)["models"]
    found = [] if p.get("isOwned") is False else [_summary(a, m, call.region) for a, m in owned.items()]
    if p.get("isOwned") is not True:
        for arn in sorted(_shared_with(call.state, call.account, call.region)):
            model = find_model(call.state, arn)
            if model is not None and model["status"] == "Active":
                found.append(_summary(arn, model, call.region))
    found = [
        s
        for s in found
        if p.get("nameContains", "") in s["modelName"]
        and p.get("baseModelArnEquals", s["baseModelArn"]) == s["baseModelArn"]
        and p.get("modelStatus", s["modelStatus"]) == s["modelStatus"]
    ]
    found.sort(key=lambda s: s["creationTime"], reverse=p.get("sortOrder") == "Descending")
    items, token = page(found, p)
    return {"modelSummaries": items, **token}


def _resolve_model(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    """A custom model this caller may use (owned, or shared with it), by ARN or (owned) name."""
    owned = scope_of(call.state, call.account, call.region)["models"]
    if identifier in owned:
        return identifier, owned[identifier]
    for arn, model in owned.items():
        if model["name"] == identifier:
            return arn, model
    if identifier in _shared_with(call.state, call.account, call.region):
        model = find_model(call.state, identifier)
        if model is not None:
            return identifier, model
    raise not_found(f"The specified model {identifier} could not be found.")


def get_custom_model(call: Call) -> dict[str, Any]:
    arn, model = _resolve_model(call, call.params["modelIdentifier"])
    return {
        **{k: v for k, v in _summary(arn, model, call.region).items() if k not in ("ownerAccountId",)},
        "jobArn": model.get("job_arn"),
        "modelKmsKeyArn": model.get("kms_key"),
    }


def delete_custom_model(call: Call) -> dict[str, Any]:
    scope = scope_of(call.state, call.account, call.region)
    identifier = call.params["modelIdentifier"]
    arn = next((a for a, m in scope["models"].items() if identifier in (a, m["name"])), None)
    if arn is None:
        raise not_found(f"The specified model {identifier} could not be found.")
    users = [
        t["name"] for t in scope["throughputs"].values() if arn in (t["model_arn"], t["desired_model_arn"])
    ]
    users += [d["name"] for d in scope["deployments"].values() if d["model_arn"] == arn]
    if users:
        raise conflict(
            f"The model {arn} is in use by {', '.join(sorted(users))}. Delete or update those first."
        )
    del scope["models"][arn]
    return {}


def _fingerprint(params: dict[str, Any]) -> str:
    stable = {k: v for k, v in params.items() if k != "clientRequestToken"}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def create_model_copy_job(call: Call) -> dict[str, Any]:
    p = call.params
    scope = scope_of(call.state, call.account, call.region)
    token = p.get("clientRequestToken")
    if token:
        for arn, job in scope["copy_jobs"].items():
            if job.get("token") == token:
                if job["fingerprint"] != _fingerprint(p):
                    raise invalid("The client request token was already used with different parameters.")
                return {"jobArn": arn}
    source_arn = p["sourceModelArn"]
    source = find_model(call.state, source_arn)
    parsed = arns.parse_arn(source_arn)
    assert parsed is not None  # the request matched sourceModelArn's pattern
    if parsed.account == call.account:
        if source is None:
            raise not_found(f"The specified model {source_arn} could not be found.")
        if parsed.region == call.region:
            raise invalid(
                "The source model is already in this Region. Call CreateModelCopyJob in the target Region."
            )
    elif source is None or source_arn not in _shared_with(call.state, call.account, parsed.region):
        raise access_denied(
            f"You don't have access to the model {source_arn}. The owner must share it with account "
            f"{call.account} through AWS RAM."
        )
    if source["status"] != "Active":
        raise invalid(f"The model {source_arn} is not Active (status {source['status']}).")
    if source["customization_type"] not in COPYABLE_CUSTOMIZATIONS:
        raise invalid(f"Models of customization type {source['customization_type']} cannot be copied.")
    name = p["targetModelName"]
    if any(m["name"] == name for m in scope["models"].values()) or any(
        j["target_model_name"] == name and j["status"] == "InProgress" for j in scope["copy_jobs"].values()
    ):
        raise invalid(f"A model named {name} already exists in this account and Region, or is being copied.")
    job_id = arns.resource_id("model-copy-job", next_sequence(call.state))
    model_id = arns.resource_id("custom-model", next_sequence(call.state))
    arn = arns.copy_job_arn(call.region, call.account, job_id)
    failing = call.state.get("settings", {}).get("failing_copy_targets", [])
    seconds = float(call.state.get("settings", {}).get("copy_job_seconds", 1200))
    scope["copy_jobs"][arn] = {
        "status": "InProgress",
        "created": call.now.isoformat(),
        "done_at": (call.now + timedelta(seconds=seconds)).isoformat(),
        "source_model_arn": source_arn,
        "source_account": parsed.account,
        "source_model_name": source["name"],
        "target_model_name": name,
        "target_model_arn": arns.custom_model_arn(
            call.region, call.account, source["base_model_id"], model_id
        ),
        "kms_key": arns.kms_key_arn(p["modelKmsKeyId"], call.region, call.account)
        if p.get("modelKmsKeyId")
        else None,
        "tags": {t["key"]: t["value"] for t in p.get("targetModelTags", [])},
        "failure": None,
        "will_fail": f"{call.account}/{call.region}" in failing,
        "token": token,
        "fingerprint": _fingerprint(p),
    }
    return {"jobArn": arn}


def _job_view(arn: str, job: dict[str, Any]) -> dict[str, Any]:
    return {
        "jobArn": arn,
        "status": job["status"],
        "creationTime": when(job["created"]),
        "targetModelArn": job["target_model_arn"],
        "targetModelName": job["target_model_name"],
        "sourceAccountId": job["source_account"],
        "sourceModelArn": job["source_model_arn"],
        "sourceModelName": job.get("source_model_name"),
        "targetModelKmsKeyArn": job["kms_key"],
        "targetModelTags": [{"key": k, "value": v} for k, v in sorted(job["tags"].items())],
        "failureMessage": job["failure"],
    }


def get_model_copy_job(call: Call) -> dict[str, Any]:
    job = scope_of(call.state, call.account, call.region)["copy_jobs"].get(call.params["jobArn"])
    if job is None:
        raise not_found(f"The specified model copy job {call.params['jobArn']} could not be found.")
    return _job_view(call.params["jobArn"], job)


def list_model_copy_jobs(call: Call) -> dict[str, Any]:
    p = call.params
    jobs = [_job_view(a, j) for a, j in scope_of(call.state, call.account, call.region)["copy_jobs"].items()]
    jobs = [
        j
        for j in jobs
        if p.get("statusEquals", j["status"]) == j["status"]
        and p.get("sourceAccountEquals", j["sourceAccountId"]) == j["sourceAccountId"]
        and p.get("sourceModelArnEquals", j["sourceModelArn"]) == j["sourceModelArn"]
        and p.get("targetModelNameContains", "") in j["targetModelName"]
        and ("creationTimeAfter" not in p or j["creationTime"] > p["creationTimeAfter"])
        and ("creationTimeBefore" not in p or j["creationTime"] < p["creationTimeBefore"])
    ]
    jobs.sort(key=lambda j: j["creationTime"], reverse=p.get("sortOrder") == "Descending")
    items, token = page(jobs, p)
    return {"modelCopyJobSummaries": items, **token}


def _tagged(call: Call, arn: str) -> dict[str, Any]:
    parsed = arns.parse_arn(arn)
    if parsed is None or parsed.account != call.account or parsed.region != call.region:
        raise not_found(f"The specified resource ARN {arn} could not be found.")
    scope = scope_of(call.state, call.account, call.region)
    for kind in ("models", "copy_jobs", "throughputs", "deployments"):
        if arn in scope[kind]:
            item: dict[str, Any] = scope[kind][arn]
            return item
    raise not_found(f"The specified resource ARN {arn} could not be found.")


MAX_TAGS = 200


def tag_resource(call: Call) -> dict[str, Any]:
    item = _tagged(call, call.params["resourceARN"])
    tags = {**item.setdefault("tags", {}), **{t["key"]: t["value"] for t in call.params["tags"]}}
    if len(tags) > MAX_TAGS:
        raise SimulatedError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags.", 400)
    item["tags"] = tags
    return {}


def untag_resource(call: Call) -> dict[str, Any]:
    item = _tagged(call, call.params["resourceARN"])
    for key in call.params["tagKeys"]:
        item.setdefault("tags", {}).pop(key, None)
    return {}


def list_tags_for_resource(call: Call) -> dict[str, Any]:
    return {"tags": tags_of(_tagged(call, call.params["resourceARN"]))}


HANDLERS: dict[str, Handler] = {
    "ListCustomModels": list_custom_models,
    "GetCustomModel": get_custom_model,
    "DeleteCustomModel": delete_custom_model,
    "CreateModelCopyJob": create_model_copy_job,
    "GetModelCopyJob": get_model_copy_job,
    "ListModelCopyJobs": list_model_copy_jobs,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    **CAPACITY_HANDLERS,
    **FOUNDATION_HANDLERS,
}
