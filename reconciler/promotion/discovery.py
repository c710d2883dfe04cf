"""New versions of a Model among the custom models of its source account and Region.

`spec.discover` says which custom models belong to the Model (base model, model name prefix, fine-tuning
job name prefix: all that are given must match). A model already listed (by ARN) is not new; a model still
being created, or failed, is not a version yet. Each new version gets the next free name (`v<N+1>` after
`vN`) and its provenance, from the customization job, as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.manifests.model import DiscoverRule, Model

DISCOVERED_BY = "bedrock-gitops versions discover"
_NUMBERED = re.compile(r"^v(\d+)$")


@dataclass(frozen=True, slots=True)
class FoundModel:
    """One custom model as Bedrock describes it (ListCustomModels, GetCustomModel, and the customization
    job of GetModelCustomizationJob when there is one)."""

    arn: str
    name: str
    created: datetime
    status: str
    base_model_arn: str = ""
    customization_type: str = ""
    job_arn: str | None = None
    job_name: str | None = None
    job_status: str | None = None
    training_data: str | None = None
    validation_data: tuple[str, ...] = ()
    output_data: str | None = None
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    training_loss: float | None = None

    @property
    def base_model_id(self) -> str:
        """`...:foundation-model/<id>` -> `<id>`; for a custom model's ARN, the base model id in it."""
        resource = self.base_model_arn.split(":", 5)[-1]
        if resource.startswith("foundation-model/"):
            return resource.removeprefix("foundation-model/")
        if resource.startswith("custom-model/"):
            return resource.removeprefix("custom-model/").rsplit("/", 1)[0]
        return ""


@dataclass(frozen=True, slots=True)
class NewVersion:
    model: str
    name: str
    model_arn: str
    evidence: dict[str, Any]
    found: FoundModel


def matches(rule: DiscoverRule, found: FoundModel) -> bool:
    if rule.base_model is not None and found.base_model_id != rule.base_model:
        return False
    if rule.name_prefix is not None and not found.name.startswith(rule.name_prefix):
        return False
    return rule.job_name_prefix is None or (found.job_name or "").startswith(rule.job_name_prefix)


def candidates(model: Model, found: Sequence[FoundModel]) -> list[FoundModel]:
    """The Active custom models matching the Model's rule that are not listed yet, oldest first."""
    if model.discover is None:
        return []
    listed = {version.model_arn for version in model.versions}
    arn_prefix = f":bedrock:{model.source_region}:{model.source_account}:custom-model/"
    chosen = [
        f
        for f in found
        if f.arn not in listed and arn_prefix in f.arn and f.status == "Active" and matches(model.discover, f)
    ]
    return sorted(chosen, key=lambda f: (f.created, f.arn))


def next_version_names(existing: Sequence[str], count: int) -> list[str]:
    """`count` fresh names: v<N+1>, v<N+2>... after the highest vN (v1 when none is numbered)."""
    numbers = [int(m.group(1)) for name in existing if (m := _NUMBERED.match(name))]
    start = max(numbers, default=0) + 1
    names: list[str] = []
    number = start
    while len(names) < count:
        name = f"v{number}"
        if name not in existing:
            names.append(name)
        number += 1
    return names


def evidence_of(found: FoundModel) -> dict[str, Any]:
    """The provenance recorded as the version's evidence (policies can require parts of it)."""
    job: dict[str, Any] = {}
    for key, value in (
        ("arn", found.job_arn),
        ("name", found.job_name),
        ("status", found.job_status),
        ("baseModel", found.base_model_arn or None),
        ("customizationType", found.customization_type or None),
        ("trainingData", found.training_data),
        ("validationData", list(found.validation_data) or None),
        ("outputData", found.output_data),
        ("hyperParameters", dict(sorted(found.hyperparameters.items())) or None),
        ("trainingLoss", found.training_loss),
    ):
        if value is not None:
            job[key] = value
    evidence: dict[str, Any] = {
        "discoveredBy": DISCOVERED_BY,
        "customModel": {"name": found.name, "createdAt": found.created.isoformat()},
    }
    if job:
        evidence["customizationJob"] = job
    return evidence


def new_versions(model: Model, found: Sequence[FoundModel]) -> list[NewVersion]:
    chosen = candidates(model, found)
    names = next_version_names([v.name for v in model.versions], len(chosen))
    return [
        NewVersion(model.name, name, f.arn, evidence_of(f), f) for name, f in zip(names, chosen, strict=True)
    ]


def version_document(version: NewVersion) -> dict[str, Any]:
    """The entry appended under spec.versions."""
    return {"name": version.name, "modelArn": version.model_arn, "evidence": version.evidence}
