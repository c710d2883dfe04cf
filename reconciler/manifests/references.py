"""Checks that span files or need more than a schema: names, references, Regions, accounts, ARNs."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Sequence, Set
from functools import cache, partial
from importlib import resources

from reconciler.errors import ManifestError
from reconciler.manifests.arns import is_custom_model_arn
from reconciler.manifests.model import Backend, Environment, Location, Model


@cache
def bedrock_regions() -> frozenset[str]:
    """Regions with the Bedrock control plane (reconciler/data/bedrock-regions.json, source noted there)."""
    text = resources.files("reconciler").joinpath("data/bedrock-regions.json").read_text()
    return frozenset(json.loads(text)["regions"])


# Where a value was written, asked only when it is wrong: locating every checked value of a large estate
# cost more than the checks.
Locate = Callable[[], Location]


def _error(where: Location, message: str, hint: str = "") -> ManifestError:
    return ManifestError(where.file, where.line, where.column, message, hint)


def _suggest(name: str, candidates: Iterable[str], kind: str) -> str:
    options = sorted(candidates)
    close = difflib.get_close_matches(name, options, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if options:
        return f"known {kind}: {', '.join(options)}"
    return f"no {kind} are defined"


def _arn_fields(arn: str) -> tuple[str, str]:
    """(region, account) of an ARN."""
    parts = arn.split(":", 5)
    return (parts[3], parts[4]) if len(parts) == 6 else ("", "")


def reference_errors(
    models: Sequence[Model], environments: Sequence[Environment], *, unusable_models: Set[str] = frozenset()
) -> list[ManifestError]:
    """`unusable_models`: names of models whose own file has errors (already reported)."""
    errors = _duplicate_names(models, environments)
    for model in models:
        errors += _model_errors(model, environments)
    by_name = {model.name: model for model in models}
    for environment in environments:
        errors += _environment_errors(environment, by_name, unusable_models)
    return errors


def _duplicate_names(models: Sequence[Model], environments: Sequence[Environment]) -> list[ManifestError]:
    errors: list[ManifestError] = []
    seen: dict[str, Location] = {}
    for model in models:
        first = seen.setdefault(model.name, model.location)
        if first is not model.location:
            errors.append(
                _error(
                    model.location,
                    f"model '{model.name}' is also defined in {first.file}:{first.line}",
                    "model names must be unique: rename or remove one of them",
                )
            )
    seen = {}
    accounts: dict[str, Environment] = {}
    for environment in environments:
        first = seen.setdefault(environment.name, environment.location)
        if first is not environment.location:
            errors.append(
                _error(
                    environment.location,
                    f"environment '{environment.name}' is also defined in {first.file}:{first.line}",
                    "environment names must be unique: rename or remove one of them",
                )
            )
        owner = accounts.setdefault(environment.account_id, environment)
        if owner is not environment:
            errors.append(
                _error(
                    environment.where("account.id"),
                    f"account {environment.account_id} is already the account of environment '{owner.name}' "
                    f"({owner.location.file})",
                    "give each environment its own AWS account (one environment per account)",
                )
            )
    return errors


def _region_errors(regions: Iterable[tuple[str, Locate]]) -> list[ManifestError]:
    known = bedrock_regions()
    return [
        _error(
            where(),
            f"'{region}' is not a Region where Amazon Bedrock is available",
            _suggest(region, known, "Bedrock Regions")
            if difflib.get_close_matches(region, known, n=1)
            else "see reconciler/data/bedrock-regions.json for the list, e.g. us-east-1",
        )
        for region, where in regions
        if region not in known
    ]


def _model_errors(model: Model, environments: Sequence[Environment]) -> list[ManifestError]:
    errors = _region_errors([(model.source_region, lambda: model.where("source.region"))])
    arns: dict[str, str] = {}
    for index, version in enumerate(model.versions):
        where = model.where(f"versions[{index}].modelArn")
        if not is_custom_model_arn(version.model_arn):  # the schema says so too; this holds for any caller
            errors.append(
                _error(
                    where,
                    f"version '{version.name}': {version.model_arn!r} is not the ARN of a model "
                    "fine-tuned in Bedrock",
                    "copy it from `aws bedrock list-custom-models`: arn:aws:bedrock:<region>:<account>:"
                    "custom-model/<base model id>/<12 lowercase letters or digits>",
                )
            )
            continue
        region, account = _arn_fields(version.model_arn)
        if account != model.source_account or region != model.source_region:
            errors.append(
                _error(
                    where,
                    f"version '{version.name}': the model ARN is in account {account}, Region {region}, "
                    f"but the model's source is account {model.source_account}, Region {model.source_region}",
                    "every version must be fine-tuned in the source account and Region: fix the ARN or "
                    "spec.source",
                )
            )
        first = arns.setdefault(version.model_arn, version.name)
        if first != version.name:
            errors.append(
                _error(
                    where,
                    f"version '{version.name}' has the same model ARN as version '{first}'",
                    "each version points at its own fine-tuned model",
                )
            )
    names = [version.name for version in model.versions]
    for index, name in enumerate(names):
        if name in names[:index]:
            errors.append(
                _error(
                    model.where(f"versions[{index}].name"),
                    f"version '{name}' is listed twice",
                    "version names must be unique within a model",
                )
            )
    if model.source_role_arn is None and not any(e.account_id == model.source_account for e in environments):
        errors.append(
            _error(
                model.where("source.account"),
                f"no IAM role to assume in the source account {model.source_account}",
                "add spec.source.roleArn, or declare an environment in that account",
            )
        )
    if model.source_role_arn is not None:
        errors += _role_account_errors(
            model.source_role_arn, model.source_account, lambda: model.where("source.roleArn")
        )
    return errors


def backend_errors(backend: Backend) -> list[ManifestError]:
    """The lock's role must be in the lock's account: otherwise the lock calls go to another account than
    the one declared (and reviewed)."""
    if backend.lock_role_arn is None:
        return []
    where = backend.locations.get("roleArn") or backend.location
    if where is None:  # a Backend built in code, not read from a file
        return []
    role_account = backend.lock_role_arn.split(":")[4]
    if backend.lock_account is None:
        return [
            _error(
                where,
                "lock.roleArn is given without lock.account: the lock's account must be declared",
                f'add `account: "{role_account}"` under lock (the account holding the table)',
            )
        ]
    return _role_account_errors(backend.lock_role_arn, backend.lock_account, lambda: where)


def _role_account_errors(role_arn: str, account: str, where: Locate) -> list[ManifestError]:
    role_account = role_arn.split(":")[4]
    if role_account == account:
        return []
    return [
        _error(
            where(),
            f"the role is in account {role_account}, not in account {account}",
            f"use the reconciler's role in account {account}, e.g. "
            f"arn:aws:iam::{account}:role/BedrockGitOpsReconciler",
        )
    ]


def _environment_errors(
    environment: Environment, models: dict[str, Model], unusable_models: Set[str]
) -> list[ManifestError]:
    errors = _role_account_errors(
        environment.role_arn, environment.account_id, lambda: environment.where("account.roleArn")
    )
    errors += _region_errors(
        (region, partial(environment.where, f"regions[{index}]"))
        for index, region in enumerate(environment.regions)
    )
    for region, key in environment.kms_keys.items():
        where = environment.where(f"kmsKeys.{region}")
        if region not in environment.regions:
            errors.append(
                _error(
                    where,
                    f"a KMS key for Region {region}, which environment '{environment.name}' does not serve",
                    f"add {region} to spec.regions, or remove this key",
                )
            )
        if key.startswith("arn:"):
            key_region, key_account = _arn_fields(key)
            if key_region != region:
                errors.append(
                    _error(
                        where,
                        f"the KMS key for {region} is in Region {key_region}",
                        "a model copy can only be encrypted with a key in its own Region",
                    )
                )
            elif key_account != environment.account_id:
                errors.append(
                    _error(
                        where,
                        f"the KMS key is in account {key_account}, not in account {environment.account_id}",
                        "use a key of the environment's own account",
                    )
                )
    pinned: dict[str, int] = {}
    for index, pin in enumerate(environment.models):
        first = pinned.setdefault(pin.model, index)
        if first != index:
            errors.append(
                _error(
                    pin.where("name"),
                    f"model '{pin.model}' is pinned twice in environment '{environment.name}'",
                    "pin each model once; to serve it in fewer Regions, use the pin's regions list",
                )
            )
        model = models.get(pin.model)
        if model is None and pin.model not in unusable_models:
            errors.append(
                _error(
                    pin.where("name"),
                    f"unknown model '{pin.model}'",
                    _suggest(pin.model, models, "models")
                    + " (models are defined by metadata.name in models/*.yaml)",
                )
            )
        elif model is not None and model.version(pin.version) is None:
            versions = [version.name for version in model.versions]
            errors.append(
                _error(
                    pin.where("version"),
                    f"model '{pin.model}' has no version '{pin.version}'",
                    _suggest(pin.version, versions, "versions"),
                )
            )
        for region_index, region in enumerate(pin.regions or ()):
            if region not in environment.regions:
                errors.append(
                    _error(
                        pin.where(f"regions[{region_index}]"),
                        f"Region {region} is not one of environment '{environment.name}''s Regions "
                        f"({', '.join(environment.regions)})",
                        f"add {region} to spec.regions, or remove it here",
                    )
                )
    return errors
