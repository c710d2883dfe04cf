"""Simulated Bedrock capacity: provisioned model throughput (on-demand deployments: bedrock_deployments.py).

The state layout is documented in bedrock.py.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, SimulatedError, conflict, next_sequence, not_found
from reconciler.sandbox.api import validation_error as invalid
from reconciler.sandbox.bedrock_common import (
    FOUNDATION_MODELS,
    caller_scope,
    fingerprint,
    foundation_model_available,
    in_time_window,
    iso,
    page,
    repeated,
    require_support,
    retire_token,
    settings_of,
    sort_by_creation,
    tag_dict,
    when,
)

# Provisioned throughputs without commitment allowed per base model in one account and Region (the sandbox's
# stand-in for the adjustable Service Quotas limit on no-commitment model units).
NO_COMMITMENT_THROUGHPUTS_PER_BASE_MODEL = 2
COMMITMENT_MONTHS = {"OneMonth": 1, "SixMonths": 6}


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (clamped to the month's last day), like a commitment term."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def settle_capacity(state: dict[str, Any], now: datetime) -> None:
    """Throughput Creating/Updating -> InService (now serving the desired model); deployment Creating ->
    Active, and a deployment's pending update -> UpdateCompleted (now serving the new model)."""
    for scope in state.get("bedrock", {}).values():
        for throughput in scope.get("throughputs", {}).values():
            if (
                throughput["status"] == "Creating"
                and throughput.get("will_fail")
                and when(throughput["ready_at"]) <= now
            ):
                # The `failing_throughput_targets` fault: the status enum has Failed, and
                # GetProvisionedModelThroughput a failureMessage for it (API reference,
                # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetProvisionedModelThroughput.html).
                throughput["status"] = "Failed"
                throughput["failure"] = "The provisioned model could not be created (sandbox fault setting)."
                throughput["updated"] = throughput["ready_at"]
            elif throughput["status"] in ("Creating", "Updating") and when(throughput["ready_at"]) <= now:
                throughput["status"] = "InService"
                throughput["model_arn"] = throughput["desired_model_arn"]
                throughput["units"] = throughput["desired_units"]
                throughput["updated"] = throughput["ready_at"]
        for deployment in scope.get("deployments", {}).values():
            if deployment["status"] == "Creating" and when(deployment["ready_at"]) <= now:
                deployment["status"] = "Active"
                deployment["updated"] = deployment["ready_at"]
            update = deployment.get("update")
            if update and update["status"] == "Updating" and when(update["ready_at"]) <= now:
                update["status"] = "UpdateCompleted"
                deployment["model_arn"] = update["model_arn"]
                deployment["updated"] = update["ready_at"]


def duration(call: Call, key: str, default: float) -> timedelta:
    return timedelta(seconds=float(settings_of(call.state).get(key, default)))


def owned_model(call: Call, identifier: str, allow_foundation: bool = False) -> tuple[str, str]:
    """(model ARN, base model id) of a model capacity can serve: an Active custom model the caller owns in
    this Region (a shared model must be copied first), or, where allowed, a provisionable foundation model."""
    for arn, model in caller_scope(call)["models"].items():
        if identifier in (arn, model["name"]):
            if model["status"] != "Active":
                raise invalid(f"The custom model {arn} is not Active (its status is {model['status']}).")
            return arn, str(model["base_model_id"])
    parsed = arns.parse_arn(identifier)
    if allow_foundation:
        model_id = (
            parsed.resource if parsed is not None and parsed.resource_type == "foundation-model" else None
        )
        model_id = model_id or (identifier if parsed is None else None)
        if model_id and foundation_model_available(model_id, call.region):
            if "PROVISIONED" not in FOUNDATION_MODELS[model_id]["inferenceTypesSupported"]:
                raise invalid(f"The model {model_id} doesn't support provisioned throughput.")
            return arns.foundation_model_arn(call.region, model_id), model_id
    if parsed is not None and parsed.resource_type == "custom-model" and parsed.account != call.account:
        raise invalid(
            f"The model {identifier} is owned by account {parsed.account}. A model shared with you can't be "
            "used directly. Copy it into this account and Region with CreateModelCopyJob first."
        )
    if parsed is not None and parsed.region != call.region:
        raise invalid(f"The model {identifier} is in {parsed.region}, not in {call.region}.")
    raise not_found(f"Could not find a model with the identifier {identifier}.")


# -- provisioned throughput ---------------------------------------------------------------------------------


def create_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    p = call.params
    throughputs = caller_scope(call)["throughputs"]
    earlier = repeated(throughputs, p, "the provisioned model", caller_scope(call))
    if earlier is not None:
        return {"provisionedModelArn": earlier}
    name = p["provisionedModelName"]
    # ValidationException, not ConflictException: the operation's modelled errors have no conflict.
    if any(t["name"] == name for t in throughputs.values()):
        raise invalid(f"A provisioned model named {name} already exists in this account and Region.")
    model_arn, base_model_id = owned_model(call, p["modelId"], allow_foundation=True)
    require_support(base_model_id, "provisioned", call.region)
    commitment = p.get("commitmentDuration")
    if commitment is None:
        uncommitted = sum(
            1 for t in throughputs.values() if not t["commitment"] and t["base_model_id"] == base_model_id
        )
        if uncommitted >= NO_COMMITMENT_THROUGHPUTS_PER_BASE_MODEL:
            raise SimulatedError(
                "ServiceQuotaExceededException",
                f"You have reached the quota of {NO_COMMITMENT_THROUGHPUTS_PER_BASE_MODEL} no-commitment "
                f"provisioned throughputs for {base_model_id} in this account and Region. Delete one, buy "
                "a commitment, or request a quota increase through Service Quotas.",
                400,
            )
    arn = arns.provisioned_model_arn(
        call.region, call.account, arns.resource_id("provisioned-model", next_sequence(call.state))
    )
    caller_scope(call, create=True)["throughputs"][arn] = {
        "name": name,
        "model_arn": model_arn,
        "desired_model_arn": model_arn,
        "base_model_id": base_model_id,
        "units": p["modelUnits"],
        "desired_units": p["modelUnits"],
        "status": "Creating",
        "commitment": commitment,
        "commitment_expiration": iso(add_months(call.now, COMMITMENT_MONTHS[commitment]))
        if commitment
        else None,
        "created": iso(call.now),
        "updated": iso(call.now),
        "ready_at": iso(call.now + duration(call, "throughput_seconds", 600)),
        "will_fail": f"{call.account}/{call.region}"
        in settings_of(call.state).get("failing_throughput_targets", []),
        "tags": tag_dict(p.get("tags")),
        "token": p.get("clientRequestToken"),
        "fingerprint": fingerprint(p),
    }
    return {"provisionedModelArn": arn}


def find(call: Call, kind: str, identifier: str, what: str) -> tuple[str, dict[str, Any]]:
    """A resource of the caller's scope by ARN or name, or AWS's ResourceNotFoundException."""
    for arn, resource in caller_scope(call)[kind].items():
        if identifier in (arn, resource["name"]):
            return arn, resource
    raise not_found(f"Could not find a {what} with the identifier {identifier}.")


def _throughput(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    return find(call, "throughputs", identifier, "provisioned model")


def _throughput_view(arn: str, t: dict[str, Any], region: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "provisionedModelName": t["name"],
        "provisionedModelArn": arn,
        "modelArn": t["model_arn"],
        "desiredModelArn": t["desired_model_arn"],
        "foundationModelArn": arns.foundation_model_arn(region, t["base_model_id"]),
        "modelUnits": t["units"],
        "desiredModelUnits": t["desired_units"],
        "status": t["status"],
        "creationTime": when(t["created"]),
        "lastModifiedTime": when(t["updated"]),
    }
    if t["commitment"]:
        view["commitmentDuration"] = t["commitment"]
        view["commitmentExpirationTime"] = when(t["commitment_expiration"])
    return view


def get_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    arn, throughput = _throughput(call, call.params["provisionedModelId"])
    view = _throughput_view(arn, throughput, call.region)
    if throughput.get("failure"):
        view["failureMessage"] = throughput["failure"]
    return view


def list_provisioned_model_throughputs(call: Call) -> dict[str, Any]:
    p = call.params
    views = [_throughput_view(arn, t, call.region) for arn, t in caller_scope(call)["throughputs"].items()]
    views = [
        v
        for v in views
        if p.get("statusEquals", v["status"]) == v["status"]
        and p.get("modelArnEquals", v["modelArn"]) == v["modelArn"]
        and p.get("nameContains", "") in v["provisionedModelName"]
        and in_time_window(v["creationTime"], p.get("creationTimeAfter"), p.get("creationTimeBefore"))
    ]
    sort_by_creation(views, "creationTime", "provisionedModelArn", p)
    items, token = page(views, p)
    return {"provisionedModelSummaries": items, **token}


def update_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    p = call.params
    arn, throughput = _throughput(call, p["provisionedModelId"])
    if throughput["status"] != "InService":
        raise invalid(
            f"The provisioned model {arn} can't be updated while its status is {throughput['status']}."
        )
    new_name = p.get("desiredProvisionedModelName")
    if (
        new_name
        and new_name != throughput["name"]
        and any(t["name"] == new_name for t in caller_scope(call)["throughputs"].values())
    ):
        raise invalid(f"A provisioned model named {new_name} already exists in this account and Region.")
    desired: str | None = None
    if p.get("desiredModelId"):
        # API reference, UpdateProvisionedModelThroughput.desiredModelId: "You can't specify this field if
        # this Provisioned Throughput is associated with a base model"; one serving a custom model can move
        # to another custom model of the same base model, or to that base model.
        if _serves_base_model(throughput):
            raise invalid(
                f"The provisioned model {arn} is associated with the base model "
                f"{throughput['base_model_id']}, so its model can't be changed (desiredModelId)."
            )
        desired, base_model_id = owned_model(call, p["desiredModelId"], allow_foundation=True)
        if base_model_id != throughput["base_model_id"]:
            raise invalid(
                f"The model {desired} is customized from {base_model_id}, but the provisioned model "
                f"{throughput['name']} serves {throughput['base_model_id']}. A provisioned model can only be "
                "updated to a model with the same base model."
            )
    if new_name:
        throughput["name"] = new_name
    if desired is not None and desired != throughput["model_arn"]:
        throughput["desired_model_arn"] = desired
        throughput["status"] = "Updating"
        throughput["ready_at"] = iso(call.now + duration(call, "throughput_seconds", 600))
    throughput["updated"] = iso(call.now)
    return {}


def _serves_base_model(throughput: dict[str, Any]) -> bool:
    parsed = arns.parse_arn(str(throughput["model_arn"]))
    return parsed is not None and parsed.resource_type == "foundation-model"


def delete_provisioned_model_throughput(call: Call) -> dict[str, Any]:
    arn, throughput = _throughput(call, call.params["provisionedModelId"])
    expiry = throughput["commitment_expiration"]
    if expiry and when(expiry) > call.now:
        raise invalid(
            f"The provisioned model {arn} has a {throughput['commitment']} commitment term that ends at "
            f"{expiry}. You can't delete it before the commitment term ends."
        )
    if throughput["status"] in ("Creating", "Updating"):
        raise conflict(
            f"The provisioned model {arn} is {throughput['status']}. Try again when it is InService."
        )
    scope = caller_scope(call)
    retire_token(scope, throughput.get("token"), f"the provisioned model {arn}")
    del scope["throughputs"][arn]
    return {}


CAPACITY_HANDLERS: dict[str, Handler] = {
    "CreateProvisionedModelThroughput": create_provisioned_model_throughput,
    "GetProvisionedModelThroughput": get_provisioned_model_throughput,
    "ListProvisionedModelThroughputs": list_provisioned_model_throughputs,
    "UpdateProvisionedModelThroughput": update_provisioned_model_throughput,
    "DeleteProvisionedModelThroughput": delete_provisioned_model_throughput,
}
