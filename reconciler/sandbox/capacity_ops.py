"""Simulated Bedrock capacity: provisioned model throughput and on-demand custom model deployments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, SimulatedError, conflict, next_sequence, not_found
from reconciler.sandbox.api import validation_error as invalid
from reconciler.sandbox.paging import page, scope_of, when

# Throughput without commitment is limited per account and Region (a Service Quotas default, adjustable).
NO_COMMITMENT_QUOTA = 2
COMMITMENT_DAYS = {"OneMonth": 31, "SixMonths": 183}


def settle_capacity(state: dict[str, Any], now: datetime, settings: dict[str, Any]) -> None:
    for scope in state.get("bedrock", {}).values():
        for throughput in scope.get("throughputs", {}).values():
            if throughput["status"] in ("Creating", "Updating") and when(throughput["ready_at"]) <= now:
                throughput["status"] = "InService"
                throughput["model_arn"] = throughput["desired_model_arn"]
                throughput["units"] = throughput["desired_units"]
                throughput["updated"] = throughput["ready_at"]
        for deployment in scope.get("deployments", {}).values():
            if deployment["status"] == "Creating" and when(deployment["ready_at"]) <= now:
                deployment["status"] = "Active"
                deployment["updated"] = deployment["ready_at"]


def _usable_model(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    """Capacity serves only models the caller owns in this Region: a shared model must be copied first."""
    models = scope_of(call.state, call.account, call.region)["models"]
    for arn, model in models.items():
        if identifier in (arn, model["name"]):
            if model["status"] != "Active":
                raise invalid(f"The model {arn} is not Active (status {model['status']}).")
            return arn, model
    parsed = arns.parse_arn(identifier)
    if parsed is not None and parsed.account not in ("", call.account):
        raise invalid(
            f"The model {identifier} belongs to account {parsed.account}. "
            "Copy it into this account and Region "
            "with CreateModelCopyJob first."
        )
    raise not_found(f"The specified model {identifier} could not be found.")


def _by_token(items: dict[str, Any], token: str | None) -> str | None:
    if not token:
        return None
    return next((arn for arn, item in items.items() if item.get("token") == token), None)


def _seconds(call: Call, key: str, default: float) -> timedelta:
    return timedelta(seconds=float(call.state.get("settings", {}).get(key, default)))


# -- provisioned throughput ----------------------------------------------------------------------------


def create_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    p = call.params
    throughputs = scope_of(call.state, call.account, call.region)["throughputs"]
    repeat = _by_token(throughputs, p.get("clientRequestToken"))
    if repeat is not None:
        return {"provisionedModelArn": repeat}
    if any(t["name"] == p["provisionedModelName"] for t in throughputs.values()):
        raise invalid(f"A provisioned model named {p['provisionedModelName']} already exists.")
    model_arn, model = _usable_model(call, p["modelId"])
    commitment = p.get("commitmentDuration")
    if (
        commitment is None
        and sum(1 for t in throughputs.values() if not t["commitment"]) >= NO_COMMITMENT_QUOTA
    ):
        raise SimulatedError(
            "ServiceQuotaExceededException",
            f"You have reached the quota of {NO_COMMITMENT_QUOTA} provisioned throughputs without commitment "
            "in this Region. Request an increase in Service Quotas or delete one.",
            400,
        )
    arn = arns.provisioned_model_arn(
        call.region, call.account, arns.resource_id("provisioned-model", next_sequence(call.state))
    )
    throughputs[arn] = {
        "name": p["provisionedModelName"],
        "model_arn": model_arn,
        "desired_model_arn": model_arn,
        "base_model_id": model["base_model_id"],
        "units": p["modelUnits"],
        "desired_units": p["modelUnits"],
        "status": "Creating",
        "commitment": commitment,
        "commitment_expiration": (call.now + timedelta(days=COMMITMENT_DAYS[commitment])).isoformat()
        if commitment
        else None,
        "created": call.now.isoformat(),
        "updated": call.now.isoformat(),
        "ready_at": (call.now + _seconds(call, "throughput_seconds", 600)).isoformat(),
        "tags": {t["key"]: t["value"] for t in p.get("tags", [])},
        "token": p.get("clientRequestToken"),
    }
    return {"provisionedModelArn": arn}


def _throughput(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    throughputs = scope_of(call.state, call.account, call.region)["throughputs"]
    for arn, throughput in throughputs.items():
        if identifier in (arn, throughput["name"]):
            return arn, throughput
    raise not_found(f"The specified provisioned model {identifier} could not be found.")


def _throughput_view(arn: str, t: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "provisionedModelName": t["name"],
        "provisionedModelArn": arn,
        "modelArn": t["model_arn"],
        "desiredModelArn": t["desired_model_arn"],
        "foundationModelArn": arns.foundation_model_arn(region, t["base_model_id"]),
        "modelUnits": t["units"],
        "desiredModelUnits": t["desired_units"],
        "status": t["status"],
        "commitmentDuration": t["commitment"],
        "commitmentExpirationTime": when(t["commitment_expiration"]) if t["commitment_expiration"] else None,
        "creationTime": when(t["created"]),
        "lastModifiedTime": when(t["updated"]),
    }


def get_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    arn, throughput = _throughput(call, call.params["provisionedModelId"])
    return _throughput_view(arn, throughput, call.region)


def list_provisioned_model_throughputs(call: Call) -> dict[str, Any]:
    p = call.params
    throughputs = scope_of(call.state, call.account, call.region)["throughputs"]
    views = [_throughput_view(a, t, call.region) for a, t in throughputs.items()]
    views = [
        v
        for v in views
        if p.get("statusEquals", v["status"]) == v["status"]
        and p.get("modelArnEquals", v["modelArn"]) == v["modelArn"]
        and p.get("nameContains", "") in v["provisionedModelName"]
    ]
    views.sort(key=lambda v: v["creationTime"], reverse=p.get("sortOrder") == "Descending")
    items, token = page(views, p)
    return {"provisionedModelSummaries": items, **token}


def update_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    p = call.params
    arn, throughput = _throughput(call, p["provisionedModelId"])
    if throughput["status"] != "InService":
        raise invalid(
            f"The provisioned model {arn} cannot be updated while its status is {throughput['status']}."
        )
    if "desiredProvisionedModelName" in p:
        throughput["name"] = p["desiredProvisionedModelName"]
    if "desiredModelId" in p:
        model_arn, model = _usable_model(call, p["desiredModelId"])
        if model["base_model_id"] != throughput["base_model_id"]:
            raise invalid(
                f"The model {model_arn} is customized from {model['base_model_id']}, but the provisioned "
                f"model serves {throughput['base_model_id']}. A provisioned model can only be updated to a "
                "model with the same base model."
            )
        if model_arn != throughput["model_arn"]:
            throughput["desired_model_arn"] = model_arn
            throughput["status"] = "Updating"
            throughput["ready_at"] = (call.now + _seconds(call, "throughput_seconds", 600)).isoformat()
    throughput["updated"] = call.now.isoformat()
    return {}


def delete_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    arn, throughput = _throughput(call, call.params["provisionedModelId"])
    expiry = throughput["commitment_expiration"]
    if expiry and when(expiry) > call.now:
        raise invalid(
            f"The provisioned model {arn} has a {throughput['commitment']} commitment until {expiry}; "
            "it cannot "
            "be deleted before the commitment term ends."
        )
    if throughput["status"] in ("Creating", "Updating"):
        raise conflict(
            f"The provisioned model {arn} is {throughput['status']}; try again when it is InService."
        )
    del scope_of(call.state, call.account, call.region)["throughputs"][arn]
    return {}


# -- custom model deployments --------------------------------------------------------------------------


def create_custom_model_deployment(call: Call) -> dict[str, Any]:
    p = call.params
    deployments = scope_of(call.state, call.account, call.region)["deployments"]
    repeat = _by_token(deployments, p.get("clientRequestToken"))
    if repeat is not None:
        return {"customModelDeploymentArn": repeat}
    if any(d["name"] == p["modelDeploymentName"] for d in deployments.values()):
        raise invalid(f"A custom model deployment named {p['modelDeploymentName']} already exists.")
    model_arn, _ = _usable_model(call, p["modelArn"])
    arn = arns.deployment_arn(
        call.region, call.account, arns.resource_id("custom-model-deployment", next_sequence(call.state))
    )
    deployments[arn] = {
        "name": p["modelDeploymentName"],
        "model_arn": model_arn,
        "description": p.get("description"),
        "status": "Creating",
        "created": call.now.isoformat(),
        "updated": call.now.isoformat(),
        "ready_at": (call.now + _seconds(call, "deployment_seconds", 300)).isoformat(),
        "tags": {t["key"]: t["value"] for t in p.get("tags", [])},
        "token": p.get("clientRequestToken"),
    }
    return {"customModelDeploymentArn": arn}


def _deployment(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    for arn, deployment in scope_of(call.state, call.account, call.region)["deployments"].items():
        if identifier in (arn, deployment["name"]):
            return arn, deployment
    raise not_found(f"The specified custom model deployment {identifier} could not be found.")


def get_custom_model_deployment(call: Call) -> dict[str, Any]:
    arn, d = _deployment(call, call.params["customModelDeploymentIdentifier"])
    return {
        "customModelDeploymentArn": arn,
        "modelDeploymentName": d["name"],
        "modelArn": d["model_arn"],
        "createdAt": when(d["created"]),
        "status": d["status"],
        "description": d["description"],
        "lastUpdatedAt": when(d["updated"]),
    }


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
        for arn, d in scope_of(call.state, call.account, call.region)["deployments"].items()
    ]
    views = [
        v
        for v in views
        if p.get("statusEquals", v["status"]) == v["status"]
        and p.get("modelArnEquals", v["modelArn"]) == v["modelArn"]
        and p.get("nameContains", "") in v["customModelDeploymentName"]
    ]
    views.sort(key=lambda v: v["createdAt"], reverse=p.get("sortOrder") == "Descending")
    items, token = page(views, p)
    return {"modelDeploymentSummaries": items, **token}


def update_custom_model_deployment(call: Call) -> dict[str, Any]:
    arn, deployment = _deployment(call, call.params["customModelDeploymentIdentifier"])
    model_arn, _ = _usable_model(call, call.params["modelArn"])
    deployment["model_arn"] = model_arn
    deployment["updated"] = call.now.isoformat()
    return {"customModelDeploymentArn": arn}


def delete_custom_model_deployment(call: Call) -> dict[str, Any]:
    arn, _ = _deployment(call, call.params["customModelDeploymentIdentifier"])
    del scope_of(call.state, call.account, call.region)["deployments"][arn]
    return {}


CAPACITY_HANDLERS: dict[str, Handler] = {
    "CreateProvisionedModelThroughput": create_provisioned_model_throughput,
    "GetProvisionedModelThroughput": get_provisioned_model_throughput,
    "ListProvisionedModelThroughputs": list_provisioned_model_throughputs,
    "UpdateProvisionedModelThroughput": update_provisioned_model_throughput,
    "DeleteProvisionedModelThroughput": delete_provisioned_model_throughput,
    "CreateCustomModelDeployment": create_custom_model_deployment,
    "GetCustomModelDeployment": get_custom_model_deployment,
    "ListCustomModelDeployments": list_custom_model_deployments,
    "UpdateCustomModelDeployment": update_custom_model_deployment,
    "DeleteCustomModelDeployment": delete_custom_model_deployment,
}
