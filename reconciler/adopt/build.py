"""Adoption (`bedrock-gitops import`): manifests that describe an existing live estate, so that `plan` right
after an import shows no changes (pure: reads a LiveState, returns manifest documents).

What is adopted, per environment (an account and its Regions):
- every copy of a fine-tuned model named like ours (`<model>-<version>`), found through its copy job, whose
  source model is known; the source account's own models are used in place in their Region;
- the capacity serving it, when it is named like ours (`<environment>-<model>`): provisioned throughput
  (model units, commitment) or an on-demand deployment; none otherwise.

Which model and version a source ARN is comes, in this order, from the ownership tags of our RAM shares,
copy jobs and capacity, then from the source model's name (`financial-analyst-v2` -> model
`financial-analyst`, version `v2`). Anything else found is listed in `notes`, never guessed into a manifest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import ENVIRONMENT_TAG, MODEL_TAG, VERSION_TAG
from reconciler.core.live import LiveState, ScopeState
from reconciler.core.names import capacity_name, copy_name

API_VERSION = "bedrock-gitops.io/v1alpha1"
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_VERSIONED = re.compile(r"^(?P<model>[a-z0-9]+(?:-[a-z0-9]+)*?)-(?P<version>v[0-9]+[a-z0-9-]*)$")


@dataclass(frozen=True, slots=True)
class EnvironmentTarget:
    name: str
    account: str
    role_arn: str
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Found:
    """One adopted pin in one Region."""

    model: str
    version: str
    region: str
    capacity: dict[str, Any]
    kms_key: str | None = None


@dataclass
class Adoption:
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> Model document
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> Environment document
    notes: list[str] = field(default_factory=list)


def _split_name(name: str) -> tuple[str, str] | None:
    found = _VERSIONED.match(name.lower())
    return (found.group("model"), found.group("version")) if found else None


def version_names(live: LiveState) -> dict[str, tuple[str, str]]:
    """Source model ARN -> (model, version), from our tags, then from the source models' names."""
    names: dict[str, tuple[str, str]] = {}

    def learn(arn: str, tags: Mapping[str, str]) -> None:
        model, version = tags.get(MODEL_TAG), tags.get(VERSION_TAG)
        if model and version and _NAME.match(model) and _NAME.match(version):
            names.setdefault(arn, (model, version))

    for state in live.scopes.values():
        for share in state.shares:
            for arn in share.resource_arns:
                learn(arn, share.tags)
        for job in state.copy_jobs:
            learn(job.source_model_arn, job.tags)
    for state in live.scopes.values():
        for model in state.custom_models:
            if model.arn not in names and model.owner_account == state.account:
                split = _split_name(model.name)
                if split and not any(j.target_model_arn == model.arn for j in state.copy_jobs):
                    names[model.arn] = split
    return names


def _capacity(
    state: ScopeState, environment: str, model: str, served_arn: str, live: LiveState
) -> tuple[dict[str, Any], str | None]:
    """The capacity document for a pin, and a note when something serves it that we cannot adopt."""
    name = capacity_name(environment, model)
    note = None
    for throughput in state.throughputs:
        if served_arn not in (throughput.model_arn, throughput.desired_model_arn):
            continue
        if throughput.name == name:
            return {
                "type": "provisioned",
                "modelUnits": throughput.model_units,
                "commitment": throughput.commitment or "none",
            }, None
        note = f"provisioned throughput '{throughput.name}' ({throughput.arn})"
    for deployment in state.deployments:
        if deployment.model_arn != served_arn:
            continue
        if deployment.name == name:
            return {"type": "on-demand"}, None
        note = f"custom model deployment '{deployment.name}' ({deployment.arn})"
    return {"type": "none"}, note


def _found_in(
    target: EnvironmentTarget, region: str, live: LiveState, names: Mapping[str, tuple[str, str]]
) -> tuple[list[Found], list[str]]:
    state = live.scope(target.account, region)
    found: list[Found] = []
    notes: list[str] = []
    for model in state.custom_models:
        if model.owner_account != target.account or model.status != "Active":
            continue
        job = next((j for j in state.copy_jobs if j.target_model_arn == model.arn), None)
        source = job.source_model_arn if job else model.arn  # not a copy: the fine-tuned model itself
        if source not in names:
            notes.append(
                f"{target.name} {region}: custom model '{model.name}' ({model.arn}) has no known version"
            )
            continue
        model_name, version = names[source]
        if job is not None and model.name != copy_name(model_name, version):
            notes.append(
                f"{target.name} {region}: copy '{model.name}' is not named {copy_name(model_name, version)}; "
                "not adopted (re-copy it with bedrock-gitops)"
            )
            continue
        capacity, stray = _capacity(state, target.name, model_name, model.arn, live)
        if stray:
            notes.append(
                f"{target.name} {region}: {stray} serves {model_name} {version} but is not named "
                f"{capacity_name(target.name, model_name)}; not adopted"
            )
        if job is None and capacity["type"] == "none":
            continue  # a source model nobody serves here: the model manifest still lists the version
        kms = job.target_kms_key_arn if job else None
        found.append(Found(model_name, version, region, capacity, kms))
    return found, notes


def _pins(target: EnvironmentTarget, found: Sequence[Found], notes: list[str]) -> list[dict[str, Any]]:
    pins = []
    by_model: dict[str, list[Found]] = {}
    for item in found:
        by_model.setdefault(item.model, []).append(item)
    all_regions = sorted({item.region for item in found})
    for model, items in sorted(by_model.items()):
        served = [i for i in items if i.capacity["type"] != "none"] or items
        version = max({i.version for i in served}, key=lambda v: (sum(i.version == v for i in served), v))
        chosen = [i for i in items if i.version == version]
        for other in sorted({i.version for i in items} - {version}):
            notes.append(f"{target.name}: {model} {other} is also copied here; the manifest pins {version}")
        capacities = {repr(sorted(i.capacity.items())) for i in chosen}
        if len(capacities) > 1:
            notes.append(f"{target.name}: {model} has different capacity per Region; the first is used")
        pin: dict[str, Any] = {"name": model, "version": version}
        regions = sorted({i.region for i in chosen})
        if regions != all_regions:
            pin["regions"] = regions
        pin["capacity"] = chosen[0].capacity
        pins.append(pin)
    return pins


def adopt(targets: Sequence[EnvironmentTarget], live: LiveState) -> Adoption:
    names = version_names(live)
    adoption = Adoption()
    used: set[str] = set()
    for target in targets:
        found: list[Found] = []
        for region in target.regions:
            items, notes = _found_in(target, region, live, names)
            found += items
            adoption.notes += notes
        pins = _pins(target, found, adoption.notes)
        if not pins:
            adoption.notes.append(f"{target.name}: nothing of ours found in {', '.join(target.regions)}")
        spec: dict[str, Any] = {
            "account": {"id": target.account, "roleArn": target.role_arn},
            "regions": sorted({r for p in pins for r in p.get("regions", [])} | {f.region for f in found})
            or list(target.regions),
        }
        kms = {f.region: f.kms_key for f in found if f.kms_key}
        if kms:
            spec["kmsKeys"] = dict(sorted(kms.items()))
        spec["models"] = pins
        adoption.environments[target.name] = _document("Environment", target.name, spec)
        used |= {
            source
            for source, (model, version) in names.items()
            for pin in pins
            if (pin["name"], pin["version"]) == (model, version)
        }
        _check_environment_tags(target, live, adoption.notes)
    accounts = {target.account for target in targets}
    for source in sorted(used):
        model, version = names[source]
        parts = source.split(":")
        origin: dict[str, Any] = {"account": parts[4], "region": parts[3]}
        if parts[4] not in accounts and targets:
            # No environment is in the training account, so nothing else says which role to assume there
            # (validate requires it): the same role name as in the environments' accounts.
            role_name = targets[0].role_arn.rsplit("/", 1)[-1]
            origin["roleArn"] = f"arn:aws:iam::{parts[4]}:role/{role_name}"
        document = adoption.models.setdefault(
            model, _document("Model", model, {"source": origin, "versions": []})
        )
        document["spec"]["versions"].append({"name": version, "modelArn": source})
    for document in adoption.models.values():
        document["spec"]["versions"].sort(key=lambda v: v["name"])
    return adoption


def _check_environment_tags(target: EnvironmentTarget, live: LiveState, notes: list[str]) -> None:
    for region in target.regions:
        for job in live.scope(target.account, region).copy_jobs:
            tagged = job.tags.get(ENVIRONMENT_TAG)
            if tagged and tagged != target.name:
                notes.append(
                    f"{target.name} {region}: copy job {job.arn} is tagged for environment '{tagged}'; "
                    f"import it under that name for `plan` to show no changes"
                )
                return


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}
