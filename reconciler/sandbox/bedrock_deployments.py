"""Simulated Bedrock capacity, on demand: custom model deployments (provisioned throughput:
bedrock_capacity.py, which also settles both). The state layout is documented in bedrock.py."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, conflict, next_sequence
from reconciler.sandbox.api import validation_error as invalid
from reconciler.sandbox.bedrock_capacity import duration, find, owned_model
from reconciler.sandbox.bedrock_common import (
    caller_scope,
    fingerprint,
    in_time_window,
    iso,
    page,
    repeated,
    require_support,
    retire_token,
    sort_by_creation,
    tag_dict,
    when,
)

# -- custom model deployments -------------------------------------------------------------------------------


def create_custom_model_deployment(call: Call) -> dict[str, Any]:
    p = call.params
    deployments = caller_scope(call)["deployments"]
    earlier = repeated(deployments, p, "the custom model deployment", caller_scope(call))
    if earlier is not None:
        return {"customModelDeploymentArn": earlier}
    name = p["modelDeploymentName"]
    # ValidationException, not ConflictException: the operation's modelled errors have no conflict.
    if any(d["name"] == name for d in deployments.values()):
        raise invalid(f"A custom model deployment named {name} already exists in this account and Region.")
    model_arn, base_model_id = owned_model(call, p["modelArn"])
    require_support(base_model_id, "onDemand", call.region)
    arn = arns.deployment_arn(
        call.region, call.account, arns.resource_id("custom-model-deployment", next_sequence(call.state))
    )
    caller_scope(call, create=True)["deployments"][arn] = {
        "name": name,
        "model_arn": model_arn,
        "description": p.get("description"),
        "status": "Creating",
        "created": iso(call.now),
        "updated": iso(call.now),
        "ready_at": iso(call.now + duration(call, "deployment_seconds", 300)),
        "update": None,
        "tags": tag_dict(p.get("tags")),
        "token": p.get("clientRequestToken"),
        "fingerprint": fingerprint(p),
    }
    return {"customModelDeploymentArn": arn}


def _deployment(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    return find(call, "deployments", identifier, "custom model deployment")


def get_custom_model_deployment(call: Call) -> dict[str, Any]:
    arn, d = _deployment(call, call.params["customModelDeploymentIdentifier"])
    output: dict[str, Any] = {
        "customModelDeploymentArn": arn,
        "modelDeploymentName": d["name"],
        "modelArn": d["model_arn"],
        "createdAt": when(d["created"]),
        "status": d["status"],
        "lastUpdatedAt": when(d["updated"]),
    }
    if d.get("description"):
        output["description"] = d["description"]
    if d.get("update"):
        output["updateDetails"] = {
            "modelArn": d["update"]["model_arn"],
            "updateStatus": d["update"]["status"],
        }
    return output


def list_custom_model_deployments(call: Call) -> dict[str, Any]:
    p = call.params
    views = [
        {
            "customModelDeploymentArn": arn,
            "customModelDeploymentName": d["name"],
            "modelArn": d["model_arn"],
            "createdAt": when(d["created"]),
            "status": d["status"],
            "lastUpdatedAt": when(d["updated"]),
        }
        for arn, d in caller_scope(call)["deployments"].items()
    ]
    views = [
        v
        for v in views
        if p.get("statusEquals", v["status"]) == v["status"]
        and p.get("modelArnEquals", v["modelArn"]) == v["modelArn"]
        and p.get("nameContains", "") in v["customModelDeploymentName"]
        and in_time_window(v["createdAt"], p.get("createdAfter"), p.get("createdBefore"))
    ]
    sort_by_creation(views, "createdAt", "customModelDeploymentArn", p)
    items, token = page(views, p)
    return {"modelDeploymentSummaries": items, **token}


def _updating(deployment: dict[str, Any]) -> bool:
    return bool(deployment.get("update") and deployment["update"]["status"] == "Updating")


def update_custom_model_deployment(call: Call) -> dict[str, Any]:
    """Points the deployment at another custom model of the same base model; it stays Active and serves
    the old model until the update completes (updateDetails tells)."""
    arn, deployment = _deployment(call, call.params["customModelDeploymentIdentifier"])
    if deployment["status"] != "Active" or _updating(deployment):
        state = "being updated" if _updating(deployment) else deployment["status"]
        raise invalid(f"The custom model deployment {arn} can't be updated while it is {state}.")
    model_arn, base_model_id = owned_model(call, call.params["modelArn"])
    current = caller_scope(call)["models"].get(deployment["model_arn"])
    if current is not None and current["base_model_id"] != base_model_id:
        raise invalid(
            f"The model {model_arn} is customized from {base_model_id}, but the deployment serves a model "
            f"customized from {current['base_model_id']}. Update it to a model with the same base model."
        )
    if model_arn != deployment["model_arn"]:
        deployment["update"] = {
            "model_arn": model_arn,
            "status": "Updating",
            "ready_at": iso(call.now + duration(call, "deployment_seconds", 300)),
        }
        deployment["updated"] = iso(call.now)
    return {"customModelDeploymentArn": arn}


def delete_custom_model_deployment(call: Call) -> dict[str, Any]:
    arn, deployment = _deployment(call, call.params["customModelDeploymentIdentifier"])
    if deployment["status"] == "Creating":
        raise conflict(f"The custom model deployment {arn} is Creating. Try again when it is Active.")
    scope = caller_scope(call)
    retire_token(scope, deployment.get("token"), f"the custom model deployment {arn}")
    del scope["deployments"][arn]
    return {}


DEPLOYMENT_HANDLERS: dict[str, Handler] = {
    "CreateCustomModelDeployment": create_custom_model_deployment,
    "GetCustomModelDeployment": get_custom_model_deployment,
    "ListCustomModelDeployments": list_custom_model_deployments,
    "UpdateCustomModelDeployment": update_custom_model_deployment,
    "DeleteCustomModelDeployment": delete_custom_model_deployment,
}
