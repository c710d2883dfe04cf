"""Simulated Bedrock model customization (fine-tuning) jobs: a job runs for `customization_job_seconds` of
simulated time, then completes and its custom model appears in the caller's account and Region with a
real-form ARN (`custom-model/<base model id>/<12 [a-z0-9]>`), like the models of the seed estate.

API reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateModelCustomizationJob.html
(and API_GetModelCustomizationJob.html, API_ListModelCustomizationJobs.html); user guide:
https://docs.aws.amazon.com/bedrock/latest/userguide/model-customization-submit.html

State, `state["bedrock"]["<account>/<region>"]["customization_jobs"]`:

  {job ARN: {name, status, created, done_at, ended, base_model_id, customization_type, custom_model_name,
             custom_model_arn, role_arn, training_s3, validation_s3, output_s3, hyperparameters, kms_key,
             model_tags, token, fingerprint}}

(custom_model_arn is minted at creation; the model appears in `models` when the job completes.)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, SimulatedError, next_sequence, not_found
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
    settings_of,
    sort_by_creation,
    tag_dict,
    when,
)

DEFAULT_JOB_SECONDS = 7200.0
KIND = "customization_jobs"


def jobs_of(scope: dict[str, Any]) -> dict[str, Any]:
    """The scope's jobs, read-only: a read (or a refused request) must leave the document unchanged."""
    jobs: dict[str, Any] = scope.get(KIND, {})
    return jobs


def settle_customization_jobs(state: dict[str, Any], now: datetime) -> None:
    """Complete every job whose simulated duration has passed: its custom model appears, Active."""
    for key, scope in state.get("bedrock", {}).items():
        account = key.split("/", 1)[0]
        for arn, job in scope.get(KIND, {}).items():
            if job["status"] != "InProgress" or when(job["done_at"]) > now:
                continue
            job["status"] = "Completed"
            job["ended"] = job["done_at"]
            scope.setdefault("models", {})[job["custom_model_arn"]] = {
                "name": job["custom_model_name"],
                "base_model_id": job["base_model_id"],
                "customization_type": job["customization_type"],
                "status": "Active",
                "created": job["done_at"],
                "owner": account,
                "kms_key": job["kms_key"],
                "job_arn": arn,
                "job_name": job["name"],
                "copied_from": None,
                "tags": dict(job["model_tags"]),
            }


def customization_due(state: dict[str, Any]) -> list[str]:
    """When the jobs still running finish (ISO times), for the simulation's `pending_until`."""
    return [
        job["done_at"]
        for scope in state.get("bedrock", {}).values()
        for job in scope.get(KIND, {}).values()
        if job["status"] == "InProgress"
    ]


def _base_model_id(call: Call, identifier: str) -> str:
    """A foundation model id from an id or a foundation-model ARN. Continued fine-tuning of a custom model
    exists in Bedrock, but the sandbox does not simulate it and says so rather than guessing."""
    parsed = arns.parse_arn(identifier)
    if parsed is not None:
        if parsed.resource_type != "foundation-model":
            raise SimulatedError(
                "ValidationException",
                f"The sandbox simulates fine-tuning of foundation models only, not of {identifier}.",
                400,
            )
        model_id = parsed.resource
    else:
        model_id = identifier
    if not foundation_model_available(model_id, call.region):
        raise not_found(f"Could not find the base model {identifier} in {call.region}.")
    return model_id


def create_model_customization_job(call: Call) -> dict[str, Any]:
    p = call.params
    scope = caller_scope(call)
    earlier = repeated(jobs_of(scope), p, "the model customization job", scope)
    if earlier is not None:
        return {"jobArn": earlier}
    base_model_id = _base_model_id(call, p["baseModelIdentifier"])
    customization = p.get("customizationType", "FINE_TUNING")
    supported = FOUNDATION_MODELS[base_model_id]["customizationsSupported"]
    if customization not in supported:
        raise invalid(
            f"The base model {base_model_id} does not support customization type {customization} "
            f"(it supports: {', '.join(supported) or 'none'})."
        )
    # Job names and custom model names are unique per account and Region (a second job with a name in use
    # is refused with ConflictException, per the API reference's errors for this operation).
    name, model_name = p["jobName"], p["customModelName"]
    if any(job["name"] == name for job in jobs_of(scope).values()):
        raise SimulatedError("ConflictException", f"A model customization job named {name} exists.", 400)
    taken = any(m["name"] == model_name for m in scope["models"].values()) or any(
        j["custom_model_name"] == model_name and j["status"] == "InProgress" for j in jobs_of(scope).values()
    )
    if taken:
        raise SimulatedError(
            "ConflictException", f"A custom model named {model_name} exists in this account and Region.", 400
        )
    job_id = arns.resource_id("model-customization-job", next_sequence(call.state))
    model_id = arns.resource_id("custom-model", next_sequence(call.state))
    arn = arns.model_customization_job_arn(call.region, call.account, base_model_id, job_id)
    seconds = float(settings_of(call.state).get("customization_job_seconds", DEFAULT_JOB_SECONDS))
    kms = p.get("customModelKmsKeyId")
    caller_scope(call, create=True).setdefault(KIND, {})[arn] = {
        "name": name,
        "status": "InProgress",
        "created": iso(call.now),
        "done_at": iso(call.now + timedelta(seconds=seconds)),
        "ended": None,
        "base_model_id": base_model_id,
        "customization_type": customization,
        "custom_model_name": model_name,
        "custom_model_arn": arns.custom_model_arn(call.region, call.account, base_model_id, model_id),
        "role_arn": p["roleArn"],
        "training_s3": p["trainingDataConfig"].get("s3Uri"),
        "validation_s3": [v["s3Uri"] for v in (p.get("validationDataConfig") or {}).get("validators", [])],
        "output_s3": p["outputDataConfig"]["s3Uri"],
        "hyperparameters": dict(p.get("hyperParameters") or {}),
        "kms_key": arns.kms_key_arn(kms, call.region, call.account) if kms else None,
        "model_tags": tag_dict(p.get("customModelTags")),
        "token": p.get("clientRequestToken"),
        "fingerprint": fingerprint(p),
    }
    return {"jobArn": arn}


def _find_job(call: Call, identifier: str) -> tuple[str, dict[str, Any]]:
    """A job of the caller by ARN or by name."""
    for arn, job in jobs_of(caller_scope(call)).items():
        if identifier in (arn, job["name"]):
            return arn, job
    raise not_found(f"Could not find a model customization job with the identifier {identifier}.")


def _training_loss(job: dict[str, Any]) -> float:
    """A plausible, reproducible final training loss (the sandbox trains nothing)."""
    return round(0.2 + (sum(map(ord, job["custom_model_name"])) % 50) / 100, 4)


def job_details(arn: str, job: dict[str, Any], region: str) -> dict[str, Any]:
    """GetModelCustomizationJob's answer; the provenance members also appear in GetCustomModel."""
    view: dict[str, Any] = {
        "jobArn": arn,
        "jobName": job["name"],
        "outputModelName": job["custom_model_name"],
        "roleArn": job["role_arn"],
        "status": job["status"],
        "creationTime": when(job["created"]),
        "lastModifiedTime": when(job["ended"] or job["created"]),
        "baseModelArn": arns.foundation_model_arn(region, job["base_model_id"]),
        "hyperParameters": dict(job["hyperparameters"]),
        "trainingDataConfig": {"s3Uri": job["training_s3"]} if job["training_s3"] else {},
        "validationDataConfig": {"validators": [{"s3Uri": uri} for uri in job["validation_s3"]]},
        "outputDataConfig": {"s3Uri": job["output_s3"]},
        "customizationType": job["customization_type"],
    }
    if job["status"] == "Completed":
        view["outputModelArn"] = job["custom_model_arn"]
        view["endTime"] = when(job["ended"])
        view["trainingMetrics"] = {"trainingLoss": _training_loss(job)}
    if job["kms_key"]:
        view["outputModelKmsKeyArn"] = job["kms_key"]
    return view


def get_model_customization_job(call: Call) -> dict[str, Any]:
    arn, job = _find_job(call, call.params["jobIdentifier"])
    return job_details(arn, job, call.region)


def list_model_customization_jobs(call: Call) -> dict[str, Any]:
    p = call.params
    summaries = []
    for arn, job in jobs_of(caller_scope(call)).items():
        summary: dict[str, Any] = {
            "jobArn": arn,
            "baseModelArn": arns.foundation_model_arn(call.region, job["base_model_id"]),
            "jobName": job["name"],
            "status": job["status"],
            "creationTime": when(job["created"]),
            "customModelName": job["custom_model_name"],
            "customizationType": job["customization_type"],
        }
        if job["status"] == "Completed":
            summary["customModelArn"] = job["custom_model_arn"]
            summary["endTime"] = when(job["ended"])
        summaries.append(summary)
    summaries = [
        s
        for s in summaries
        if p.get("statusEquals", s["status"]) == s["status"]
        and p.get("nameContains", "") in s["jobName"]
        and in_time_window(s["creationTime"], p.get("creationTimeAfter"), p.get("creationTimeBefore"))
    ]
    sort_by_creation(summaries, "creationTime", "jobArn", p)
    items, token = page(summaries, p)
    return {"modelCustomizationJobSummaries": items, **token}


def provenance_of(scope: dict[str, Any], job_arn: str | None, region: str) -> dict[str, Any]:
    """The job's training/validation/output locations, hyperparameters and metrics, as GetCustomModel
    reports them for a model made by a customization job (empty for a seeded model without a job)."""
    job = scope.get(KIND, {}).get(job_arn) if job_arn else None
    if job is None:
        return {}
    details = job_details(job_arn, job, region)  # type: ignore[arg-type]  # job_arn is set when job is
    keys = ("hyperParameters", "trainingDataConfig", "validationDataConfig", "outputDataConfig")
    found = {key: details[key] for key in keys if details.get(key)}
    if "trainingMetrics" in details:
        found["trainingMetrics"] = details["trainingMetrics"]
    return found


CUSTOMIZATION_HANDLERS: dict[str, Handler] = {
    "CreateModelCustomizationJob": create_model_customization_job,
    "GetModelCustomizationJob": get_model_customization_job,
    "ListModelCustomizationJobs": list_model_customization_jobs,
}
