"""JSON-Schema validation of one manifest, with errors that say what is wrong and how to fix it.

A valid manifest is recognised by a validator compiled from the schema into Python (fastjsonschema): ten
times faster than jsonschema's, and jsonschema's import alone costs ~0.15 s. Only a manifest it refuses is
validated again by jsonschema, whose errors are the ones reported (exactly as without the fast path; a test
holds the two validators' verdicts equal over fuzzed manifests).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from reconciler.errors import ManifestError
from reconciler.manifests.yaml_nodes import LocatedDocument

if TYPE_CHECKING:
    from collections.abc import Callable

    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, ValidationError

# The schemas ship inside the package (reconciler/schemas/, package data), so a wheel, pipx and the
# pre-commit hook read the same files as a checkout. The top-level schemas/ is the copy that editors and
# manifest authors see; tests/test_packaging.py fails when the two differ (.ci/sync-schemas copies them).
SCHEMA_PACKAGE = "reconciler"
SCHEMA_FOLDER = "schemas"
SCHEMA_FILES = {
    "Model": "model.schema.json",
    "Environment": "environment.schema.json",
    "Backend": "backend.schema.json",
}

# What a failed pattern means, in words, keyed by the property that carries it.
PATTERN_ADVICE = {
    "account": ("must be a 12-digit AWS account id", 'write it quoted, e.g. "111122223333"'),
    "id": ("must be a 12-digit AWS account id", 'write it quoted, e.g. "111122223333"'),
    "name": (
        "must be lowercase letters, digits and single hyphens",
        "e.g. financial-analyst or v2 (no dots, underscores, capitals or double hyphens)",
    ),
    "region": ("is not an AWS Region name", "e.g. us-east-1"),
    "regions": ("is not an AWS Region name", "e.g. us-east-1"),
    "roleArn": ("is not an IAM role ARN", "e.g. arn:aws:iam::111122223333:role/BedrockGitOpsReconciler"),
    "modelArn": (
        "is not a Bedrock custom model ARN",
        "copy it from the Bedrock console or `aws bedrock list-custom-models`: "
        "arn:aws:bedrock:<region>:<account>:custom-model/<base model id>/<12 lowercase letters or digits>",
    ),
    "kmsKeys": (
        "is not a KMS key ARN, key id or alias",
        "e.g. arn:aws:kms:us-east-1:111122223333:key/<uuid>",
    ),
}


def schema_names() -> list[str]:
    """The file names of every schema the package ships (model, environment, backend, plan)."""
    folder = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER)
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".schema.json"))


def schema_text(name: str) -> str:
    """One packaged schema's JSON text, by file name (e.g. "model.schema.json")."""
    return resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER, name).read_text(encoding="utf-8")


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # ~0.15 s to import: only for manifests with errors

    return Draft202012Validator(json.loads(schema_text(SCHEMA_FILES[kind])))


@cache
def _compiled(kind: str) -> Callable[[Any], Any]:
    import fastjsonschema

    # No defaults written into the document, no format assertions (jsonschema asserts none by default).
    return fastjsonschema.compile(
        json.loads(schema_text(SCHEMA_FILES[kind])), use_default=False, use_formats=False
    )


def passes_fast(data: Any, kind: str) -> bool:
    """True when the compiled validator accepts `data`; False sends it to jsonschema for the errors."""
    try:
        _compiled(kind)(data)
    except Exception:  # refused, or anything it cannot judge: jsonschema decides
        return False
    return True


# check_schema's verdicts on the users' own schemas (requiredEvidence, verify's expect.jsonSchema), by their
# repr (which tells 1 from "1" and True from 1, unlike JSON): checking against the meta-schema costs ~15 ms,
# and a long-lived process (the test suite, the 10,000-manifest fuzz run) loads the same schemas every time.
_SCHEMA_VERDICTS: dict[str, SchemaError | None] = {}
_SCHEMA_VERDICTS_KEPT = 256


def json_schema_problem(schema: Mapping[str, Any]) -> SchemaError | None:
    """Why `schema` is not a valid JSON Schema (draft 2020-12), or None when it is."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    key = repr(schema)
    if key not in _SCHEMA_VERDICTS:
        if len(_SCHEMA_VERDICTS) >= _SCHEMA_VERDICTS_KEPT:
            _SCHEMA_VERDICTS.clear()
        try:
            Draft202012Validator.check_schema(dict(schema))
            _SCHEMA_VERDICTS[key] = None
        except SchemaError as error:
            _SCHEMA_VERDICTS[key] = error
    return _SCHEMA_VERDICTS[key]


def schema_errors(document: LocatedDocument, kind: str) -> list[ManifestError]:
    if passes_fast(document.data, kind):
        return []
    errors = [_advice(document, error) for error in _leaf_errors(validator(kind).iter_errors(document.data))]
    unique = {(e.line, e.column, e.message): e for e in errors}
    return list(unique.values())


def _leaf_errors(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """The most specific errors: `if/then` wrappers are replaced by what went wrong inside them."""
    for error in errors:
        if error.context:
            yield from _leaf_errors(iter(error.context))
        else:
            yield error


def _advice(document: LocatedDocument, error: ValidationError) -> ManifestError:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    where = _describe(path)
    validator_name = error.validator
    if validator_name in ("additionalProperties", "unevaluatedProperties"):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        key = unknown[0] if unknown else "?"
        if not allowed:
            return document.error(
                (*path, key),
                f"unknown key '{key}' in {where}",
                "remove it: this mapping takes no other keys",
                key=True,
            )
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
        return document.error((*path, key), f"unknown key '{key}' in {where}", hint, key=True)
    if validator_name == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "a key"
        return document.error(
            path, f"{where} is missing the required key '{missing}'", f"add '{missing}:' to {where}", key=True
        )
    if validator_name == "enum":
        allowed_values = ", ".join(str(v) for v in cast(list[Any], error.validator_value))
        return document.error(
            path, f"{where} is {error.instance!r}, which is not allowed", f"use one of: {allowed_values}"
        )
    if validator_name == "const":
        return document.error(path, f"{where} is {error.instance!r}", f"write: {error.validator_value}")
    if validator_name == "type":
        expected = error.validator_value
        hint = f"write {_a(str(expected))}"
        if expected == "string" and isinstance(error.instance, int) and not isinstance(error.instance, bool):
            typed = document.texts.get(path, str(error.instance))  # 011122223333 as typed, not as octal
            hint = f'quote it: "{typed}" (YAML reads unquoted digits as a number'
            hint += (
                ": a leading 0 makes them octal)" if typed.startswith("0") else " and drops leading zeros)"
            )
        return document.error(
            path, f"{where} must be {_a(str(expected))}, not {_yaml_type(error.instance)}", hint
        )
    if validator_name == "pattern":
        field = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
        meaning, hint = PATTERN_ADVICE.get(
            field, ("has the wrong format", f"it must match {error.validator_value}")
        )
        return document.error(path, f"{where} {error.instance!r} {meaning}", hint)
    if validator_name in ("minimum", "minItems", "maxLength", "minLength", "uniqueItems"):
        return document.error(
            path, f"{where}: {error.message}", _bound_hint(validator_name, error.validator_value)
        )
    return document.error(path, f"{where}: {error.message}", "see the schema in schemas/ for what is allowed")


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _bound_hint(validator_name: str, bound: Any) -> str:
    return {
        "minimum": f"use a value of at least {bound}",
        "minItems": f"list at least {bound} item(s)",
        "maxLength": f"use at most {bound} characters",
        "minLength": f"use at least {bound} characters",
        "uniqueItems": "remove the repeated item",
    }[validator_name]


def _describe(path: tuple[str | int, ...]) -> str:
    if not path:
        return "the manifest"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return f"'{text}'"


def _yaml_type(value: Any) -> str:
    if value is None:
        return "empty (null)"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)
