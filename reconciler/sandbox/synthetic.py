"""Generated estates of any size, for benchmarks and large tests: a state document `SandboxEstate` can be
reset to, instead of the fixed four-account seed.

`organization_state` makes an organization of any accounts holding fine-tuned source models;
`run_actions` then brings it to any point by running plan actions (the exact requests apply would send)
through the simulation's own handlers, in process (no HTTP, no latency, no faults), so every record is
the one the simulated API itself makes. Running the whole plan of some manifests against an empty estate
gives the converged estate of those manifests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from reconciler.core.plan import Ref
from reconciler.sandbox import arns, bedrock, ram
from reconciler.sandbox.api import Call, Handler
from reconciler.sandbox.bedrock_common import iso
from reconciler.sandbox.statefile import State

STATE_FORMAT = 1
ORGANIZATION_ID = "o-synthetic0001"
# Longer than any simulated copy job or capacity creation: settling this far ahead finishes them all.
_SETTLE_AFTER = timedelta(days=2)


class SourceModel(NamedTuple):
    """A model fine-tuned in Bedrock, owned by `account` in `region`."""

    arn: str
    name: str
    account: str
    region: str
    base_model_id: str
    created: datetime


class PlannedCall(NamedTuple):
    """One request to run: what a plan action holds (params may hold references, see `run_actions`)."""

    address: str
    service: str  # bedrock | ram
    operation: str
    account: str
    region: str
    params: Mapping[str, Any]


def organization_state(
    accounts: Sequence[str], models: Iterable[SourceModel], *, management_account: str | None = None
) -> State:
    """A fresh state document: one organization holding `accounts`, and the fine-tuned `models`.

    The transport adds "settings" and "clock" (see estate.initial_state)."""
    members = list(dict.fromkeys(accounts))
    management = management_account or members[0]
    if management not in members:
        members.insert(0, management)
    scopes: dict[str, dict[str, dict[str, Any]]] = {}
    for model in models:
        scope = scopes.setdefault(
            f"{model.account}/{model.region}",
            {"models": {}, "copy_jobs": {}, "throughputs": {}, "deployments": {}},
        )
        job_id = arns.resource_id("model-customization-job", len(scopes) * 1000 + len(scope["models"]))
        scope["models"][model.arn] = {
            "name": model.name,
            "base_model_id": model.base_model_id,
            "customization_type": "FINE_TUNING",
            "status": "Active",
            "created": iso(model.created),
            "owner": model.account,
            "kms_key": None,
            "job_arn": arns.model_customization_job_arn(
                model.region, model.account, model.base_model_id, job_id
            ),
            "job_name": f"{model.name}-training",
            "copied_from": None,
            "tags": {},
        }
    return {
        "format": STATE_FORMAT,
        "sequence": 0,
        "organization": {"id": ORGANIZATION_ID, "management_account": management, "accounts": members},
        "bedrock": scopes,
        "ram": {"shares": {}, "invitations": {}},
    }


def run_actions(
    state: State,
    waves: Sequence[Sequence[PlannedCall]],
    *,
    now: datetime,
) -> dict[str, dict[str, Any]]:
    """Run each wave's calls at `now` through the handlers, then let all asynchronous work finish.

    A parameter value that is a `Ref` (known after apply) is replaced by that attribute of the output of
    the earlier call at its address; a copy job's output also carries its `targetModelArn`. Returns every
    call's output by address. An error raised by a handler (SimulatedError) propagates: the calls must be
    valid.
    """
    handlers: dict[str, dict[str, Handler]] = {"bedrock": bedrock.HANDLERS, "ram": ram.HANDLERS}
    outputs: dict[str, dict[str, Any]] = {}
    moment = now
    bedrock.settle(state, moment)
    for wave in waves:
        for call in wave:
            params = {key: _resolve(value, outputs) for key, value in call.params.items()}
            handler = handlers[call.service][call.operation]
            # Settled once per wave (below): nothing asynchronous finishes within a wave.
            request = Call(call.service, call.operation, call.account, call.region, params, state, moment)
            request.settled = True
            output = handler(request)
            if call.operation == "CreateModelCopyJob":
                scope = state["bedrock"][f"{call.account}/{call.region}"]
                output = {
                    **output,
                    "targetModelArn": scope["copy_jobs"][output["jobArn"]]["target_model_arn"],
                }
            outputs[call.address] = output
        moment += _SETTLE_AFTER
        bedrock.settle(state, moment)
    return outputs


def _resolve(value: Any, outputs: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, Ref):
        return outputs[value.address][value.attribute]
    if isinstance(value, list):
        return [_resolve(item, outputs) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(item, outputs) for key, item in value.items()}
    return value
