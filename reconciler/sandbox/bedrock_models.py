"""Simulated Bedrock custom models (owned and shared through RAM) and model copy jobs.

The state layout is documented in bedrock.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, access_denied, conflict, next_sequence, not_found
from reconciler.sandbox.api import validation_error as invalid
from reconciler.sandbox.bedrock_common import (
    caller_scope,
    find_model,
    fingerprint,
    foundation_model_available,
    in_time_window,
    iso,
    page,
    repeated,
    require_support,
    retire_token,
    scope_key,
    scope_of,
    settings_of,
    sort_by_creation,
    tag_dict,
    tag_list,
    when,
)
from reconciler.sandbox.bedrock_customization import jobs_of, provenance_of
from reconciler.sandbox.bedrock_kms import target_key
from reconciler.sandbox.ram import shared_model_arns

# Customization types whose models Bedrock can copy (and RAM can share): made by a customization job in
# Bedrock. Imported models (custom-model/imported/...) cannot be copied.
COPYABLE_CUSTOMIZATIONS = frozenset({"FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"})
COPY_FAILURE_MESSAGE = (
    "Model copy failed due to an internal error while copying the model artifacts to {region}. "
    "Try again with a new model copy job."
)


def settle_copy_jobs(state: dict[str, Any], now: datetime) -> None:
    """Finish every copy job whose simulated duration has passed: Completed (the target model appears in
    the caller's account and Region) or Failed (no model), as settings["failing_copy_targets"] says."""
    failing = set(settings_of(state).get("failing_copy_targets", []))
    for key, scope in state.get("bedrock", {}).items():
        account = key.split("/", 1)[0]
        for job in scope.get("copy_jobs", {}).values():
            if job["status"] != "InProgress" or when(job["done_at"]) > now:
                continue
            if job["will_fail"] or key in failing:
                job["status"] = "Failed"
                job["failure"] = COPY_FAILURE_MESSAGE.format(region=key.split("/", 1)[1])
                continue
            job["status"] = "Completed"
            scope.setdefault("models", {})[job["target_model_arn"]] = {
                "name": job["target_model_name"],
                "base_model_id": job["base_model_id"],
                "customization_type": job["customization_type"],
                "status": "Active",
                "created": job["done_at"],
                "owner": account,
                "kms_key": job["kms_key"],
                "job_arn": None,
                "job_name": None,
                "copied_from": job["source_model_arn"],
                "tags": dict(job["target_tags"]),
            }


# -- custom models ------------------------------------------------------------------------------------------


def _summary(arn: str, model: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "modelArn": arn,
        "modelName": model["name"],
        "creationTime": when(model["created"]),
        "baseModelArn": arns.foundation_model_arn(region, model["base_model_id"]),
        # The member's pattern is `provider.model`: the base model id without its `:version` suffixes.
        "baseModelName": model["base_model_id"].split(":", 1)[0],
        "customizationType": model["customization_type"],
        "ownerAccountId": model["owner"],
        "modelStatus": model["status"],
    }


def visible_models(call: Call) -> list[tuple[str, dict[str, Any]]]:
    """(ARN, model) the caller sees in this Region: its own, then those shared with it."""
    found = list(caller_scope(call)["models"].items())
    for arn in sorted(shared_model_arns(call.state, call.account, call.region)):
        model = find_model(call.state, arn)
        if model is not None:
            found.append((arn, model))
    return found


def list_custom_models(call: Call) -> dict[str, Any]:
    p = call.params
    owned_only = p.get("isOwned")
    summaries = [
        _summary(arn, model, call.region)
        for arn, model in visible_models(call)
        if owned_only is None or owned_only == (model["owner"] == call.account)
    ]
    summaries = [
        s
        for s in summaries
        if p.get("nameContains", "") in s["modelName"]
        and p.get("baseModelArnEquals", s["baseModelArn"]) == s["baseModelArn"]
        and p.get("foundationModelArnEquals", s["baseModelArn"]) == s["baseModelArn"]
        and p.get("modelStatus", s["modelStatus"]) == s["modelStatus"]
        and in_time_window(s["creationTime"], p.get("creationTimeAfter"), p.get("creationTimeBefore"))
    ]
    sort_by_creation(summaries, "creationTime", "modelArn", p)
    items, token = page(summaries, p)
    return {"modelSummaries": items, **token}


def _model_not_found(identifier: str) -> Exception:
    return not_found(f"Could not find a custom model with the identifier {identifier}.")


def resolve_visible_model(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    """A model by ARN (owned, or shared with the caller) or by name (owned only: names are per account)."""
    parsed = arns.parse_arn(identifier)
    for arn, model in visible_models(call):
        if identifier == arn or (
            parsed is None and model["owner"] == call.account and model["name"] == identifier
        ):
            return arn, model
    raise _model_not_found(identifier)


def get_custom_model(call: Call) -> dict[str, Any]:
    arn, model = resolve_visible_model(call, call.params["modelIdentifier"])
    output: dict[str, Any] = {
        "modelArn": arn,
        "modelName": model["name"],
        "baseModelArn": arns.foundation_model_arn(call.region, model["base_model_id"]),
        "customizationType": model["customization_type"],
        "creationTime": when(model["created"]),
        "modelStatus": model["status"],
    }
    if model.get("job_arn"):
        output["jobArn"] = model["job_arn"]
    if model.get("job_name"):
        output["jobName"] = model["job_name"]
    if model.get("kms_key"):
        output["modelKmsKeyArn"] = model["kms_key"]
    home = arns.parse_arn(arn)
    if home is not None:  # a model made by a fine-tuning job reports the job's data, hyperparameters, metrics
        owner_scope = scope_of(call.state, model["owner"], home.region)
        output.update(provenance_of(owner_scope, model.get("job_arn"), call.region))
    return output


def models_in_use(scope: dict[str, Any], model_arn: str) -> list[str]:
    """Names of the provisioned throughputs and deployments in `scope` that serve (or will serve) a model."""
    users = [
        f"provisioned model {t['name']}"
        for t in scope["throughputs"].values()
        if model_arn in (t["model_arn"], t["desired_model_arn"])
    ]
    for deployment in scope["deployments"].values():
        pending = (deployment.get("update") or {}).get("model_arn")
        if model_arn in (deployment["model_arn"], pending):
            users.append(f"custom model deployment {deployment['name']}")
    return sorted(users)


def delete_custom_model(call: Call) -> dict[str, Any]:
    identifier = call.params["modelIdentifier"]
    arn, model = resolve_visible_model(call, identifier)
    if model["owner"] != call.account:
        raise access_denied(
            f"Account {call.account} is not authorized to perform bedrock:DeleteCustomModel on resource "
            f"{arn}: only the model's owner can delete it."
        )
    scope = caller_scope(call)
    users = models_in_use(scope, arn)
    if users:
        raise conflict(
            f"The custom model {arn} is in use by {', '.join(users)}. Delete or update them and try again."
        )
    # The token of the job that made this model (a copy, or a fine-tuning job) made a deleted resource now.
    for job in scope["copy_jobs"].values():
        if job["target_model_arn"] == arn:
            retire_token(scope, job.get("token"), f"the model copy job that made {arn}")
    for job in jobs_of(scope).values():
        if job.get("custom_model_arn") == arn:
            retire_token(scope, job.get("token"), f"the model customization job that made {arn}")
    del scope["models"][arn]
    return {}


# -- model copy jobs ----------------------------------------------------------------------------------------


def _copy_source(call: Call, source_arn: str) -> dict[str, Any]:
    """The source model, if the caller may copy it into this Region."""
    parsed = arns.parse_arn(source_arn)
    if parsed is None or parsed.resource_type != "custom-model":
        raise invalid(
            f"The source model {source_arn} is not a custom model. Only custom models can be copied."
        )
    if parsed.resource.startswith("imported/"):
        raise invalid(f"The model {source_arn} is an imported model. Imported models can't be copied.")
    source = find_model(call.state, source_arn)
    if parsed.account == call.account:
        if source is None:
            raise _model_not_found(source_arn)
        if parsed.region == call.region:
            raise invalid(
                f"The source model {source_arn} is already in {call.region}. To copy a model you own, call "
                "CreateModelCopyJob in a different target Region."
            )
    elif source is None or source_arn not in shared_model_arns(call.state, call.account, parsed.region):
        # AccessDenied rather than ResourceNotFound: another account's model is only reachable through a
        # RAM share, and without one Bedrock's authorization refuses the request before looking the model up
        # (it also does not reveal whether the model exists).
        raise access_denied(
            f"Account {call.account} is not authorized to access the model {source_arn}. The model's owner "
            f"must share it with account {call.account} through AWS RAM before it can be copied."
        )
    if source["status"] != "Active":
        raise invalid(f"The source model {source_arn} is not Active (its status is {source['status']}).")
    if source["customization_type"] not in COPYABLE_CUSTOMIZATIONS:
        raise invalid(
            f"Models with customization type {source['customization_type']} can't be copied. Only models "
            "customized in Amazon Bedrock can be copied."
        )
    if not foundation_model_available(source["base_model_id"], call.region):
        raise invalid(
            f"Model copy to {call.region} isn't supported for models customized from "
            f"{source['base_model_id']}."
        )
    return source


def create_model_copy_job(call: Call) -> dict[str, Any]:
    p = call.params
    scope = caller_scope(call)
    earlier = repeated(scope["copy_jobs"], p, "the model copy job", scope)
    if earlier is not None:
        return {"jobArn": earlier}
    source_arn = p["sourceModelArn"]
    source = _copy_source(call, source_arn)
    require_support(str(source["base_model_id"]), "copy", call.region)
    name = p["targetModelName"]
    # ValidationException, not ConflictException: the operation's modelled errors have no conflict.
    if any(model["name"] == name for model in scope["models"].values()):
        raise invalid(f"A custom model named {name} already exists in this account and Region.")
    if any(
        j["target_model_name"] == name and j["status"] == "InProgress" for j in scope["copy_jobs"].values()
    ):
        raise invalid(f"A model copy job to a model named {name} is already in progress in this Region.")
    kms_key = target_key(call)
    job_id = arns.resource_id("model-copy-job", next_sequence(call.state))
    model_id = arns.resource_id("custom-model", next_sequence(call.state))
    arn = arns.copy_job_arn(call.region, call.account, job_id)
    source_account = arns.parse_arn(source_arn).account  # type: ignore[union-attr]  # checked by _copy_source
    seconds = float(settings_of(call.state).get("copy_job_seconds", 1200))
    failing = settings_of(call.state).get("failing_copy_targets", [])
    caller_scope(call, create=True)["copy_jobs"][arn] = {
        "status": "InProgress",
        "created": iso(call.now),
        "done_at": iso(call.now + timedelta(seconds=seconds)),
        "source_model_arn": source_arn,
        "source_account": source_account,
        "source_model_name": source["name"],
        "base_model_id": source["base_model_id"],
        "customization_type": source["customization_type"],
        "target_model_name": name,
        "target_model_arn": arns.custom_model_arn(
            call.region, call.account, source["base_model_id"], model_id
        ),
        "kms_key": kms_key,
        "target_tags": tag_dict(p.get("targetModelTags")),
        "tags": {},
        "failure": None,
        "will_fail": scope_key(call.account, call.region) in failing,
        "token": p.get("clientRequestToken"),
        "fingerprint": fingerprint(p),
    }
    return {"jobArn": arn}


def _job_view(arn: str, job: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "jobArn": arn,
        "status": job["status"],
        "creationTime": when(job["created"]),
        "targetModelArn": job["target_model_arn"],
        "targetModelName": job["target_model_name"],
        "sourceAccountId": job["source_account"],
        "sourceModelArn": job["source_model_arn"],
        "sourceModelName": job["source_model_name"],
        "targetModelTags": tag_list(job["target_tags"]),
    }
    if job["kms_key"]:
        view["targetModelKmsKeyArn"] = job["kms_key"]
    if job["failure"]:
        view["failureMessage"] = job["failure"]
    return view


def get_model_copy_job(call: Call) -> dict[str, Any]:
    arn = call.params["jobArn"]
    job = caller_scope(call)["copy_jobs"].get(arn)
    if job is None:
        raise not_found(f"Could not find a model copy job with the ARN {arn}.")
    return _job_view(arn, job)


def list_model_copy_jobs(call: Call) -> dict[str, Any]:
    p = call.params
    jobs = [_job_view(arn, job) for arn, job in caller_scope(call)["copy_jobs"].items()]
    jobs = [
        j
        for j in jobs
        if p.get("statusEquals", j["status"]) == j["status"]
        and p.get("sourceAccountEquals", j["sourceAccountId"]) == j["sourceAccountId"]
        and p.get("sourceModelArnEquals", j["sourceModelArn"]) == j["sourceModelArn"]
        and p.get("targetModelNameContains", "") in j["targetModelName"]
        and in_time_window(j["creationTime"], p.get("creationTimeAfter"), p.get("creationTimeBefore"))
    ]
    sort_by_creation(jobs, "creationTime", "jobArn", p)
    items, token = page(jobs, p)
    return {"modelCopyJobSummaries": items, **token}


MODEL_HANDLERS: dict[str, Handler] = {
    "ListCustomModels": list_custom_models,
    "GetCustomModel": get_custom_model,
    "DeleteCustomModel": delete_custom_model,
    "CreateModelCopyJob": create_model_copy_job,
    "GetModelCopyJob": get_model_copy_job,
    "ListModelCopyJobs": list_model_copy_jobs,
}
