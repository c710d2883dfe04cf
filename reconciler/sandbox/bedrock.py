"""Simulated Amazon Bedrock control plane: custom models (owned, and shared through RAM), model copy jobs,
provisioned throughput, custom model deployments, tags, and a small foundation model catalogue.

Split over bedrock_common.py (catalogue, helpers), bedrock_models.py (models, copy jobs) and
bedrock_capacity.py (throughput, deployments); this module assembles `HANDLERS` and `settle`.

State layout, `state["bedrock"]["<account>/<region>"]` (Bedrock is regional; times are ISO-8601 strings):

  models:      {model ARN: {name, base_model_id, customization_type, status, created, owner, kms_key,
                            job_arn, job_name, copied_from, tags}}
               (job_arn/job_name: the customization job that made a seeded model; copied_from: the source
               of a copy. `owner` is the scope's account: a shared model stays in its owner's scope.)
  copy_jobs:   {job ARN: {status, created, done_at, source_model_arn, source_account, source_model_name,
                          base_model_id, customization_type, target_model_name, target_model_arn, kms_key,
                          target_tags, tags, failure, will_fail, token, fingerprint}}
               (target_model_arn is minted at creation, as Bedrock reports it while the job runs; the model
               appears in `models` when the job completes.)
  throughputs: {provisioned model ARN: {name, model_arn, desired_model_arn, base_model_id, units,
                                        desired_units, status, commitment, commitment_expiration, created,
                                        updated, ready_at, tags, token, fingerprint}}
  deployments: {deployment ARN: {name, model_arn, description, status, created, updated, ready_at,
                                 update: None | {model_arn, status, ready_at}, tags, token, fingerprint}}
  evaluation_jobs: {job ARN: GetEvaluationJob's output} (seeded only; see bedrock_evaluation.py)

`tags` are {key: value}; `token`/`fingerprint` make creates idempotent on clientRequestToken. Asynchronous
work is settled lazily against the simulated clock: `settle(state, now)` runs before every handler.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, SimulatedError, not_found
from reconciler.sandbox.bedrock_capacity import CAPACITY_HANDLERS, settle_capacity
from reconciler.sandbox.bedrock_common import (
    SCOPE_KINDS,
    caller_scope,
    get_foundation_model,
    list_foundation_models,
    tag_dict,
    tag_list,
    when,
)
from reconciler.sandbox.bedrock_customization import (
    CUSTOMIZATION_HANDLERS,
    customization_due,
    settle_customization_jobs,
)
from reconciler.sandbox.bedrock_deployments import DEPLOYMENT_HANDLERS
from reconciler.sandbox.bedrock_evaluation import EVALUATION_HANDLERS
from reconciler.sandbox.bedrock_models import MODEL_HANDLERS, settle_copy_jobs
from reconciler.sandbox.ram_common import invitations_due, settle_invitations

MAX_TAGS_PER_RESOURCE = 200


def settle(state: dict[str, Any], now: datetime) -> datetime | None:
    """Advance every asynchronous Bedrock process whose simulated duration has passed by `now`; return when
    the next one is due (None: nothing in flight), so a caller may skip settling until then."""
    settle_copy_jobs(state, now)
    settle_capacity(state, now)
    settle_customization_jobs(state, now)
    settle_invitations(state, now)  # RAM's clock-driven change, settled with Bedrock's (hook.py)
    return pending_until(state)


def pending_until(state: dict[str, Any]) -> datetime | None:
    """The earliest simulated moment at which `settle` has something to do; None if nothing is in flight.

    Mirrors the conditions of settle_copy_jobs and settle_capacity."""
    due: list[str] = customization_due(state)
    for scope in state.get("bedrock", {}).values():
        due += [j["done_at"] for j in scope.get("copy_jobs", {}).values() if j["status"] == "InProgress"]
        due += [
            t["ready_at"]
            for t in scope.get("throughputs", {}).values()
            if t["status"] in ("Creating", "Updating")
        ]
        for deployment in scope.get("deployments", {}).values():
            if deployment["status"] == "Creating":
                due.append(deployment["ready_at"])
            update = deployment.get("update")
            if update and update["status"] == "Updating":
                due.append(update["ready_at"])
    return min([*(when(moment) for moment in due), *invitations_due(state)], default=None)


def resource_counts(state: dict[str, Any]) -> dict[str, dict[str, int]]:
    """ "<account>/<region>" -> {models, copy_jobs, throughputs, deployments} counts, for `sandbox status`."""
    return {
        key: {kind: len(scope.get(kind, {})) for kind in SCOPE_KINDS}
        for key, scope in sorted(state.get("bedrock", {}).items())
        if any(scope.get(kind) for kind in SCOPE_KINDS)
    }


# -- tags ---------------------------------------------------------------------------------------------------


def _tagged(call: Call) -> dict[str, Any]:
    """The caller's own resource in this Region named by resourceARN."""
    arn = call.params["resourceARN"]
    parsed = arns.parse_arn(arn)
    if parsed is not None and parsed.account == call.account and parsed.region == call.region:
        scope = caller_scope(call)
        # Not copy jobs: TagResource's resourceARN pattern does not admit model-copy-job ARNs.
        for kind in ("models", "throughputs", "deployments"):
            if arn in scope[kind]:
                item: dict[str, Any] = scope[kind][arn]
                return item
    raise not_found(f"Could not find a resource with the ARN {arn}.")


def tag_resource(call: Call) -> dict[str, Any]:
    item = _tagged(call)
    tags = {**item.get("tags", {}), **tag_dict(call.params["tags"])}
    if len(tags) > MAX_TAGS_PER_RESOURCE:
        raise SimulatedError(
            "TooManyTagsException",
            f"The request would give {call.params['resourceARN']} {len(tags)} tags; a resource can have at "
            f"most {MAX_TAGS_PER_RESOURCE} tags.",
            400,
        )
    item["tags"] = tags
    return {}


def untag_resource(call: Call) -> dict[str, Any]:
    item = _tagged(call)
    for key in call.params["tagKeys"]:
        item.setdefault("tags", {}).pop(key, None)
    return {}


def list_tags_for_resource(call: Call) -> dict[str, Any]:
    return {"tags": tag_list(_tagged(call).get("tags", {}))}


def _settled(handler: Handler) -> Handler:
    """Settle first, so a handler called directly (tests) sees the same world as one called by the hook."""

    def settled(call: Call) -> dict[str, Any]:
        if not call.settled:
            settle(call.state, call.now)
        return handler(call)

    settled.__name__ = handler.__name__
    settled.__doc__ = handler.__doc__
    return settled


_UNSETTLED: dict[str, Callable[[Call], dict[str, Any]]] = {
    **MODEL_HANDLERS,
    **CAPACITY_HANDLERS,
    **DEPLOYMENT_HANDLERS,
    **CUSTOMIZATION_HANDLERS,
    **EVALUATION_HANDLERS,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "GetFoundationModel": get_foundation_model,
    "ListFoundationModels": list_foundation_models,
}
HANDLERS: dict[str, Handler] = {operation: _settled(handler) for operation, handler in _UNSETTLED.items()}
