"""Rules judged on the manifests and the desired state alone: promotion order, allowed Regions and
accounts, KMS, evidence, capacity limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from reconciler.core.desired import DesiredState
from reconciler.core.findings import Finding
from reconciler.manifests.model import Environment, Manifests
from reconciler.policies.context import at, finding, region_where

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

MAX_EVIDENCE_PROBLEMS = 3


def manifest_findings(manifests: Manifests, desired: DesiredState, environment: Environment) -> list[Finding]:
    return [
        *_promotion_order(manifests, environment),
        *_allowed_regions(environment),
        *_allowed_accounts(manifests, environment),
        *_require_kms(desired, environment),
        *_required_evidence(manifests, environment),
        *_capacity_limits(environment),
    ]


def version_index(manifests: Manifests, model_name: str, version: str) -> int | None:
    """Position of `version` in the model's list (oldest first), None if unknown."""
    model = manifests.model(model_name)
    names = [v.name for v in model.versions] if model else []
    return names.index(version) if version in names else None


def _promotion_order(manifests: Manifests, environment: Environment) -> Iterator[Finding]:
    source_name = environment.policies.promoted_from
    source = next((e for e in manifests.environments if e.name == source_name), None)
    if source is None:
        return  # not set (the loader rejects unknown names)
    for pin in environment.models:
        where = pin.where("version")
        source_pin = next((p for p in source.models if p.model == pin.model), None)
        if source_pin is None:
            yield finding(
                environment,
                "promotedFrom",
                where,
                f"{environment.name} runs {pin.model} {pin.version}, but {source.name} (its promotedFrom) "
                f"does not run {pin.model} at all",
                f"add {pin.model} to environments/{source.name} first and apply it there, then promote it "
                f"to {environment.name}; or remove the pin from {environment.name}",
            )
            continue
        mine = version_index(manifests, pin.model, pin.version)
        theirs = version_index(manifests, pin.model, source_pin.version)
        if mine is not None and theirs is not None and mine > theirs:
            yield finding(
                environment,
                "promotedFrom",
                where,
                f"{environment.name} pins {pin.model} {pin.version}, which {source.name} does not run: "
                f"{source.name} pins {source_pin.version} ({at(source_pin.where('version'))}), and "
                f"{environment.name} only receives versions {source.name} has reached",
                f"promote {pin.model} {pin.version} to {source.name} first (a separate pull request), apply "
                f"it, then pin it in {environment.name}; or keep {environment.name} on "
                f"{source_pin.version} or an earlier version",
            )


def _allowed_regions(environment: Environment) -> Iterator[Finding]:
    allowed = environment.policies.allowed_regions
    if allowed is None:
        return
    listed = ", ".join(allowed)
    for index, region in enumerate(environment.regions):
        if region not in allowed:
            yield finding(
                environment,
                "allowedRegions",
                environment.where(f"regions[{index}]"),
                f"{environment.name} serves {region}, which its allowedRegions ({listed}) do not include",
                f"remove {region} from regions, or add it to policies.allowedRegions if it is approved",
            )
    for pin in environment.models:
        for index, region in enumerate(pin.regions or ()):
            # A Region of the environment's own list is reported there, once.
            if region not in allowed and region not in environment.regions:
                yield finding(
                    environment,
                    "allowedRegions",
                    pin.where(f"regions[{index}]"),
                    f"{pin.model} is served in {region}, which {environment.name}'s allowedRegions "
                    f"({listed}) do not include",
                    f"remove {region} from the pin's regions, or add it to policies.allowedRegions",
                )


def _allowed_accounts(manifests: Manifests, environment: Environment) -> Iterator[Finding]:
    allowed = environment.policies.allowed_accounts
    if allowed is None:
        return
    listed = ", ".join(allowed)
    if environment.account_id not in allowed:
        yield finding(
            environment,
            "allowedAccounts",
            environment.where("account.id"),
            f"{environment.name} runs in account {environment.account_id}, which its allowedAccounts "
            f"({listed}) do not include",
            "use an approved account, or add this one to policies.allowedAccounts",
        )
    for pin in environment.models:
        model = manifests.model(pin.model)
        if model is not None and model.source_account not in allowed:
            yield finding(
                environment,
                "allowedAccounts",
                pin.where("name"),
                f"{pin.model} comes from account {model.source_account} "
                f"({at(model.where('source.account'))}), which {environment.name}'s allowedAccounts "
                f"({listed}) do not include",
                f"add {model.source_account} to policies.allowedAccounts if models may come from it, or "
                f"remove the pin",
            )


def _require_kms(desired: DesiredState, environment: Environment) -> Iterator[Finding]:
    if not environment.policies.require_kms:
        return
    for copy in desired.copies:
        if copy.environment != environment.name or copy.kms_key is not None:
            continue
        pin = next(p for p in environment.models if p.model == copy.model)
        yield finding(
            environment,
            "requireKms",
            region_where(environment, pin, copy.region),
            f"the copy of {copy.model} {copy.version} into {environment.name} ({copy.account}, "
            f"{copy.region}) would not be encrypted with a customer managed KMS key: kmsKeys has no "
            f"{copy.region}",
            f"add `kmsKeys: {{{copy.region}: <key ARN in account {copy.account}>}}` to "
            f"environments/{environment.name}",
        )


@cache
def _validator(schema_text: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # ~0.15 s to import: only for evidence rules

    return Draft202012Validator(json.loads(schema_text))


def evidence_problems(schema: Any, evidence: Any) -> list[str]:
    """What `evidence` lacks against the JSON Schema `schema`, one line per problem, located by path."""
    validator = _validator(json.dumps(schema, sort_keys=True, default=str))
    problems = []
    for error in sorted(validator.iter_errors(evidence), key=lambda e: [str(p) for p in e.absolute_path]):
        path = ".".join(str(p) for p in error.absolute_path)
        problems.append(f"{'evidence.' + path if path else 'evidence'}: {error.message}")
    return problems


def _required_evidence(manifests: Manifests, environment: Environment) -> Iterator[Finding]:
    schema = environment.policies.required_evidence
    if schema is None:
        return
    for pin in environment.models:
        model = manifests.model(pin.model)
        version = model.version(pin.version) if model else None
        if model is None or version is None:
            continue
        problems = evidence_problems(schema, dict(version.evidence))
        if not problems:
            continue
        shown = "; ".join(problems[:MAX_EVIDENCE_PROBLEMS])
        if len(problems) > MAX_EVIDENCE_PROBLEMS:
            shown += f"; and {len(problems) - MAX_EVIDENCE_PROBLEMS} more"
        yield finding(
            environment,
            "requiredEvidence",
            pin.where("version"),
            f"{pin.model} {pin.version} lacks the evidence {environment.name} requires "
            f"(version at {at(version.location)}): {shown}",
            f"record the missing evidence under the version's `evidence` in models/{pin.model}.yaml (or "
            f"pin a version that has it); the requirement is {environment.name}'s "
            f"policies.requiredEvidence ({at(environment.where('policies.requiredEvidence'))})",
        )


def _capacity_limits(environment: Environment) -> Iterator[Finding]:
    policies = environment.policies
    for pin in environment.models:
        if pin.capacity.type != "provisioned":
            continue
        units = pin.capacity.model_units
        if policies.max_model_units is not None and units > policies.max_model_units:
            yield finding(
                environment,
                "maxModelUnits",
                pin.where("capacity.modelUnits"),
                f"{pin.model} asks for {units} model units; {environment.name} allows at most "
                f"{policies.max_model_units} per provisioned throughput",
                f"lower modelUnits to {policies.max_model_units} or less, or raise policies.maxModelUnits "
                "with the budget owner's approval",
            )
        allowed = policies.allowed_commitments
        if allowed is not None and pin.capacity.commitment not in allowed:
            key = "capacity.commitment" if "capacity.commitment" in pin.locations else "capacity"
            yield finding(
                environment,
                "allowedCommitments",
                pin.where(key),
                f"{pin.model} uses commitment {pin.capacity.commitment}; {environment.name} allows "
                f"{', '.join(allowed)}",
                f"set capacity.commitment to one of: {', '.join(allowed)}",
            )
