"""`spec.verify` of an environment: per model, the smoke prompts apply sends through its capacity, and the
soak time of `policies.promotedFrom`. Typed data, its builder, and the checks a schema cannot make (the
model is pinned here with capacity, regexes compile, JSON Schemas are valid, minPassing fits)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.errors import ManifestError
from reconciler.manifests.model import Environment, Location
from reconciler.manifests.schema import json_schema_problem

PromptApi = Literal["converse", "invoke"]
SOAK_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Expectation:
    """What an answer must satisfy; every one given must hold."""

    regex: str | None = None
    json_schema: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    max_latency_ms: int | None = None


@dataclass(frozen=True, slots=True)
class VerifyPrompt:
    name: str
    # "converse": `request` holds Converse members (messages, system, inferenceConfig);
    # "invoke": `request` is the InvokeModel body in the model family's native format.
    api: PromptApi
    request: Mapping[str, Any] = field(compare=False, hash=False)
    expect: Expectation = field(default_factory=Expectation)
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class VerifySpec:
    """`spec.verify.<model>` of one environment."""

    model: str
    prompts: tuple[VerifyPrompt, ...]
    min_passing: int
    location: Location | None = None


def soak_seconds(text: str) -> int:
    """ "24h" -> 86400 (the schema admits `[0-9]{1,6}(s|m|h|d)` only)."""
    return int(text[:-1]) * SOAK_UNITS[text[-1]]


def build_verify(data: Mapping[str, Any], where: Any) -> dict[str, VerifySpec]:
    """`spec.verify` (schema-valid) -> model name -> VerifySpec; `where(key)` locates "verify.<model>..."."""
    specs: dict[str, VerifySpec] = {}
    for model, entry in data.items():
        prompts = []
        for index, prompt in enumerate(entry["prompts"]):
            expect = prompt["expect"]
            api: PromptApi = "converse" if "converse" in prompt else "invoke"
            prompts.append(
                VerifyPrompt(
                    name=prompt["name"],
                    api=api,
                    request=prompt["converse"] if api == "converse" else prompt["body"],
                    expect=Expectation(
                        regex=expect.get("regex"),
                        json_schema=expect.get("jsonSchema"),
                        max_latency_ms=expect.get("maxLatencyMs"),
                    ),
                    location=where(f"verify.{model}.prompts[{index}]"),
                )
            )
        specs[model] = VerifySpec(
            model=model,
            prompts=tuple(prompts),
            min_passing=int(entry.get("minPassing", len(prompts))),
            location=where(f"verify.{model}"),
        )
    return specs


def verify_errors(
    environment: Environment, known_models: Collection[str] | None = None
) -> list[ManifestError]:
    """What is wrong in `spec.verify` beyond the schema, each located with how to fix it. A model the
    environment does not pin (now) is no error, so a pin can be removed without its checks: only a name no
    model has (`known_models`) is, and checks of a pin without capacity are refused (nothing to invoke)."""
    errors: list[ManifestError] = []
    pins = {pin.model: pin for pin in environment.models}
    for model, spec in environment.verify.items():
        where = spec.location or environment.location
        pin = pins.get(model)
        if pin is None and known_models is not None and model in known_models:
            pass
        elif pin is None:
            errors.append(
                ManifestError(
                    where.file,
                    where.line,
                    where.column,
                    f"verify names model '{model}', which {environment.name} does not run",
                    f"pin {model} under spec.models, or remove verify.{model}",
                )
            )
        elif pin.capacity.type == "none":
            errors.append(
                ManifestError(
                    where.file,
                    where.line,
                    where.column,
                    f"verify.{model}: {environment.name} runs {model} without capacity, so there is nothing "
                    "to invoke",
                    "give the pin capacity (provisioned or on-demand), or remove verify for it",
                )
            )
        if spec.min_passing > len(spec.prompts):
            errors.append(
                ManifestError(
                    where.file,
                    where.line,
                    where.column,
                    f"verify.{model}.minPassing is {spec.min_passing}, but there are only "
                    f"{len(spec.prompts)} prompts",
                    f"lower minPassing to {len(spec.prompts)} or less, or add prompts",
                )
            )
        for prompt in spec.prompts:
            errors += _prompt_errors(environment, model, prompt)
    return errors


def _prompt_errors(environment: Environment, model: str, prompt: VerifyPrompt) -> list[ManifestError]:
    where = prompt.location or environment.location
    errors = []
    if prompt.expect.regex is not None:
        try:
            re.compile(prompt.expect.regex)
        except re.error as error:
            errors.append(
                ManifestError(
                    where.file,
                    where.line,
                    where.column,
                    f"verify.{model} prompt '{prompt.name}': expect.regex is not a valid regular "
                    f"expression: {error}",
                    "write a Python regular expression, e.g. '(?i)revenue' (quote it in YAML)",
                )
            )
    if prompt.expect.json_schema is not None:
        problem = json_schema_problem(prompt.expect.json_schema)
        if problem is not None:
            errors.append(
                ManifestError(
                    where.file,
                    where.line,
                    where.column,
                    f"verify.{model} prompt '{prompt.name}': expect.jsonSchema is not a valid JSON Schema: "
                    f"{problem.message}",
                    "write a JSON Schema (draft 2020-12), e.g. {type: object, required: [answer]}",
                )
            )
    return errors
