"""Check values against botocore shapes the way the AWS service does, beyond botocore's client-side checks:
regex patterns (botocore does not check them), enums, length and value bounds.

Requests that fail are answered with ValidationException and the text AWS uses; responses that fail are
bugs in the simulation (see hook.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import Shape

from reconciler.sandbox.restjson import operation_model


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: unchecked rather than wrongly rejected
        return None


def shape_problems(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """AWS-style constraint messages for `value` against `shape`; empty when valid."""
    if shape is None or value is None:
        return []
    where = path or shape.name
    kind = shape.type_name
    meta = shape.metadata
    problems: list[str] = []
    if kind == "structure":
        if not isinstance(value, Mapping):
            return [f"Value at '{where}' failed to satisfy constraint: Member must be a structure"]
        members = shape.members  # type: ignore[attr-defined]
        for name in shape.required_members:
            if value.get(name) is None:
                member_path = _join(path, name)
                problems.append(
                    f"Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
                )
        for name, item in value.items():
            if name in members:
                problems += shape_problems(members[name], item, _join(path, name))
        return problems
    if kind == "list":
        if not isinstance(value, list | tuple):
            return [f"Value at '{where}' failed to satisfy constraint: Member must be a list"]
        problems += _bounds(where, len(value), meta, "length")
        for index, item in enumerate(value):
            problems += shape_problems(shape.member, item, f"{where}.{index + 1}.member")  # type: ignore[attr-defined]
        return problems
    if kind == "map":
        if not isinstance(value, Mapping):
            return [f"Value at '{where}' failed to satisfy constraint: Member must be a map"]
        for key, item in value.items():
            problems += shape_problems(shape.key, key, f"{where}.key")  # type: ignore[attr-defined]
            problems += shape_problems(shape.value, item, f"{where}.{key}")  # type: ignore[attr-defined]
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a string"]
        problems += _bounds(where, len(value), meta, "length", value)
        pattern = meta.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            problems.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
        if shape.enum and value not in shape.enum:  # type: ignore[attr-defined]
            problems.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"  # type: ignore[attr-defined]
            )
        return problems
    if kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a number"]
        width = _INTEGER_BITS.get(kind)
        if width is not None and not -(2 ** (width - 1)) <= value < 2 ** (width - 1):
            return [
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must be a {width}-bit {kind}"
            ]
        return _bounds(where, value, meta, "value")
    if kind == "boolean" and not isinstance(value, bool):
        return [f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a boolean"]
    if kind == "timestamp" and not isinstance(value, datetime | int | float):
        return [f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a timestamp"]
    return problems


# AWS's `integer` and `long` are Java's: botocore leaves their range to the service.
_INTEGER_BITS = {"integer": 32, "long": 64}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _bounds(where: str, measure: float, meta: Mapping[str, Any], what: str, shown: Any = None) -> list[str]:
    shown = measure if shown is None else shown
    problems = []
    if "min" in meta and measure < meta["min"]:
        relation = f"Member must have {what} greater than or equal to {meta['min']}"
        problems.append(f"Value '{shown}' at '{where}' failed to satisfy constraint: {relation}")
    if "max" in meta and measure > meta["max"]:
        relation = f"Member must have {what} less than or equal to {meta['max']}"
        problems.append(f"Value '{shown}' at '{where}' failed to satisfy constraint: {relation}")
    return problems


def request_problems(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """Every constraint the request breaks, against the operation's input shape."""
    shape = operation_model(service, operation).input_shape
    return [] if is_valid(shape, params) else shape_problems(shape, params)


def response_problems(service: str, operation: str, output: Mapping[str, Any]) -> list[str]:
    shape = operation_model(service, operation).output_shape
    return [] if is_valid(shape, output) else shape_problems(shape, output)


def is_valid(shape: Shape | None, value: Any) -> bool:
    """Whether `shape_problems(shape, value)` is empty, found without writing a message for every member:
    the same checks, stopping at the first failure. Every call checks its request and its answer, so the
    common case (valid) must be cheap; a failure is then described by shape_problems."""
    return shape is None or value is None or _validator(shape)(value)


Validator = Callable[[Any], bool]
# One checker per shape object, built on first use: what shape_problems looks up on every member of every
# value (kind, bounds, pattern, enum, members) is looked up once. Shapes live as long as their cached
# service model, and a structure's member shapes as long as the structure (botocore caches them).
_VALIDATORS: dict[Shape, Validator] = {}


def _validator(shape: Shape) -> Validator:
    validator = _VALIDATORS.get(shape)
    if validator is None:
        # Two threads may build the same checker at once: both are the same function of the shape.
        validator = _VALIDATORS[shape] = _compile(shape)
    return validator


def _compile(shape: Shape) -> Validator:
    """The checker of one shape. Member checkers are looked up when a member is first met (not built here:
    a recursive shape has member shapes without end), then kept by the checker itself."""
    kind = shape.type_name
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    if kind == "structure":
        required = tuple(shape.required_members)
        members: dict[str, Shape] = shape.members  # type: ignore[attr-defined]
        checks: dict[str, Validator] = {}

        def structure(value: Any) -> bool:
            if type(value) is not dict and not isinstance(value, Mapping):
                return False
            for name in required:
                if value.get(name) is None:
                    return False
            for name, item in value.items():
                if item is None:
                    continue
                check = checks.get(name)
                if check is None:
                    if name not in members:
                        continue
                    check = checks[name] = _validator(members[name])
                if not check(item):
                    return False
            return True

        return structure
    if kind == "list":
        member_shape: Shape = shape.member  # type: ignore[attr-defined]
        member: list[Validator] = []

        def listed(value: Any) -> bool:
            if not isinstance(value, list | tuple):
                return False
            count = len(value)
            if (low is not None and count < low) or (high is not None and count > high):
                return False
            if not member:
                member.append(_validator(member_shape))
            check = member[0]
            return all(item is None or check(item) for item in value)

        return listed
    if kind == "map":
        key_shape, value_shape = shape.key, shape.value  # type: ignore[attr-defined]

        def mapped(value: Any) -> bool:
            if not isinstance(value, Mapping):
                return False
            return all(is_valid(key_shape, k) and is_valid(value_shape, item) for k, item in value.items())

        return mapped
    if kind == "string":
        return _string_validator(low, high, meta.get("pattern"), frozenset(shape.enum or ()))  # type: ignore[attr-defined]
    if kind in ("integer", "long", "float", "double"):
        width = _INTEGER_BITS.get(kind)
        smallest, largest = (-(2 ** (width - 1)), 2 ** (width - 1)) if width else (0, 0)

        def number(value: Any) -> bool:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            if width and not smallest <= value < largest:
                return False
            return _in_bounds(value, low, high)

        return number
    if kind == "boolean":
        return lambda value: isinstance(value, bool)
    if kind == "timestamp":
        return lambda value: isinstance(value, datetime | int | float)
    return lambda _value: True


# Strings a string checker has passed, kept up to this many: a listing repeats names, base model ARNs and
# account ids on every item, and a pattern is the costliest check. Whether a string passes is a function of
# the string alone, so a kept answer cannot go stale.
PASSED_STRINGS_KEPT = 4096


def _string_validator(
    low: int | None, high: int | None, pattern: str | None, enum: frozenset[str]
) -> Validator:
    compiled = _compiled(pattern) if pattern else None
    passed: set[str] = set()

    def string(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if value in passed:
            return True
        length = len(value)
        if (low is not None and length < low) or (high is not None and length > high):
            return False
        if compiled is not None and not compiled.fullmatch(value):
            return False
        if enum and value not in enum:
            return False
        if len(passed) < PASSED_STRINGS_KEPT:
            passed.add(value)
        return True

    return string


def _in_bounds(measure: float, low: float | None, high: float | None) -> bool:
    return not (low is not None and measure < low) and not (high is not None and measure > high)


def validation_message(problems: list[str]) -> str:
    count = len(problems)
    return f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(problems)
