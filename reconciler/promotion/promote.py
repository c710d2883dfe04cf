"""Promotion as an edit: pin a version of a model in an environment (and optionally its Regions), in the
environment's file, changing only the lines that must change.

A pin that exists gets its `version` replaced (and `regions` set when asked). A model the environment does
not run yet gets a new pin, with the capacity of the environment it is promoted from (its `promotedFrom`),
since capacity is a decision the pull request's reviewers see in the plan and can change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.manifests.model import Capacity, Environment, Manifests, ModelPin
from reconciler.promotion.yaml_edit import append_to_list, replace_scalar, set_list_value


@dataclass(frozen=True, slots=True)
class Promotion:
    model: str
    version: str
    environment: str
    regions: tuple[str, ...] | None = None


def check_promotion(manifests: Manifests, promotion: Promotion) -> Environment:
    """The target environment, after checking that the model, the version and the environment exist."""
    model = manifests.model(promotion.model)
    if model is None:
        known = ", ".join(m.name for m in manifests.models) or "none"
        raise ReconcilerError(f"no model named '{promotion.model}' in models/ (models: {known})")
    if model.version(promotion.version) is None:
        listed = ", ".join(v.name for v in model.versions)
        raise ReconcilerError(
            f"{model.name} has no version '{promotion.version}' (versions: {listed}); add it to "
            f"{model.location.file} first, e.g. with: bedrock-gitops versions discover"
        )
    environment = next((e for e in manifests.environments if e.name == promotion.environment), None)
    if environment is None:
        known = ", ".join(e.name for e in manifests.environments) or "none"
        raise ReconcilerError(f"no environment named '{promotion.environment}' (environments: {known})")
    return environment


def _pin_index(environment: Environment, model: str) -> int | None:
    return next((i for i, pin in enumerate(environment.models) if pin.model == model), None)


def upstream_pin(manifests: Manifests, environment: Environment, model: str) -> ModelPin | None:
    upstream = next((e for e in manifests.environments if e.name == environment.policies.promoted_from), None)
    return next((p for p in upstream.models if p.model == model), None) if upstream else None


def _capacity_document(capacity: Capacity) -> dict[str, Any]:
    document: dict[str, Any] = {"type": capacity.type}
    if capacity.type == "provisioned":
        document["modelUnits"] = capacity.model_units
        document["commitment"] = capacity.commitment
    return document


def promoted_text(text: str, manifests: Manifests, environment: Environment, promotion: Promotion) -> str:
    """The environment file's text with the promotion made (the same text when nothing changes)."""
    file = environment.location.file
    index = _pin_index(environment, promotion.model)
    if index is not None:
        pin = environment.models[index]
        if pin.version != promotion.version:
            text = replace_scalar(text, ("spec", "models", index, "version"), promotion.version, file)
        if promotion.regions is not None and pin.regions != promotion.regions:
            path = ("spec", "models", index, "regions")
            text = set_list_value(text, path, promotion.regions, "version", file)
        return text
    source = upstream_pin(manifests, environment, promotion.model)
    if source is None:
        raise ReconcilerError(
            f"{environment.name} does not run {promotion.model} yet, and no environment it is promoted from "
            f"does, so there is no capacity to copy: add the pin to {file} by hand (name, version, capacity)"
        )
    item: dict[str, Any] = {"name": promotion.model, "version": promotion.version}
    regions = promotion.regions if promotion.regions is not None else _upstream_regions(environment, source)
    if regions is not None:
        item["regions"] = list(regions)
    item["capacity"] = _capacity_document(source.capacity)
    return append_to_list(text, ("spec", "models"), item, file)


def with_pin(manifests: Manifests, environment: str, model: str, version: str) -> Manifests:
    """The manifests as they would be with `environment` pinning `version` of `model` (a new pin takes the
    upstream environment's capacity and Regions, as `promoted_text` does). Used to judge eligibility."""
    environments = tuple(
        _repinned(manifests, env, model, version) if env.name == environment else env
        for env in manifests.environments
    )
    return dataclasses.replace(manifests, environments=environments)


def _upstream_regions(environment: Environment, source: ModelPin) -> tuple[str, ...] | None:
    """A new pin serves where the upstream pin does (within this environment's Regions); None: all."""
    if source.regions is None:
        return None
    return tuple(r for r in environment.regions if r in source.regions) or None


def _repinned(manifests: Manifests, environment: Environment, model: str, version: str) -> Environment:
    index = _pin_index(environment, model)
    pins: list[ModelPin] = list(environment.models)
    if index is not None:
        pins[index] = dataclasses.replace(pins[index], version=version)
    else:
        source = upstream_pin(manifests, environment, model)
        if source is None:
            return environment
        regions = _upstream_regions(environment, source)
        new_pin = dataclasses.replace(source, version=version, regions=regions)
        pins.append(dataclasses.replace(new_pin, location=environment.where("models")))
    return dataclasses.replace(environment, models=tuple(pins))


def regions_argument(text: str | None) -> tuple[str, ...] | None:
    if text is None or not text.strip():  # empty (a workflow input left blank): leave the Regions as they are
        return None
    regions = tuple(r.strip() for r in text.split(",") if r.strip())
    if not regions:
        raise ReconcilerError("--regions needs a Region, e.g. --regions us-east-1,us-west-2")
    return regions
