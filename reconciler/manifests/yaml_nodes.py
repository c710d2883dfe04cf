"""YAML → plain data, keeping where every value was written, so errors can name file:line:column."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from reconciler.errors import ManifestError

Path = tuple[str | int, ...]

# Limits on what a manifest may hold (README, "Limits"); past them the file gets a located error instead of
# a crash deep in the parser, the schema checks or Python's integer conversion.
MAX_NESTING_DEPTH = 64  # mappings and lists inside each other; real manifests use under 10
MAX_NUMBER_CHARACTERS = 100  # an unquoted number, as written; Python refuses ints over 4,300 digits


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    """One YAML document as plain data, plus the 1-based (line, column) of every key path's value and key,
    and the text as written of every scalar YAML did not read as a string (011122223333 is an octal int)."""

    file: str
    data: Any
    values: dict[Path, tuple[int, int]]
    keys: dict[Path, tuple[int, int]]
    texts: dict[Path, str] = field(default_factory=dict)

    def at(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Location of the value at `path` (or of its key), else of the nearest enclosing value."""
        table = self.keys if key else self.values
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefix in table:
                return table[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)

    def error(self, path: Path, message: str, hint: str = "", *, key: bool = False) -> ManifestError:
        line, column = self.at(path, key=key)
        return ManifestError(self.file, line, column, message, hint)


# libyaml's parser when PyYAML has it (its wheels do): the pure-Python one takes ~10 s on a 10 MB file.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_document(file: str, text: str) -> LocatedDocument | ManifestError:
    try:
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except RecursionError:  # the pure-Python parser (no libyaml) recurses once per nesting level
        return ManifestError(file, 1, 1, _TOO_DEEP, _TOO_DEEP_HINT)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        return ManifestError(
            file, line, column, f"invalid YAML: {problem}", "check indentation, quotes and brackets near here"
        )
    except yaml.YAMLError as error:
        return ManifestError(file, 1, 1, f"invalid YAML: {error}", "check the file's syntax")
    if not nodes:
        return ManifestError(
            file,
            1,
            1,
            "the file is empty",
            "write one manifest (apiVersion, kind, metadata, spec) or delete it",
        )
    if len(nodes) > 1:
        second = nodes[1].start_mark
        return ManifestError(
            file,
            second.line + 1,
            second.column + 1,
            "the file holds more than one YAML document",
            "put each manifest in its own file (one object per file)",
        )
    values: dict[Path, tuple[int, int]] = {}
    keys: dict[Path, tuple[int, int]] = {}
    texts: dict[Path, str] = {}
    # Aliases may repeat what the file holds, not explode it: a few levels of aliases of aliases
    # ("billion laughs") would otherwise expand to billions of values and hang the run.
    # Without a `*` in the text there is no alias: every value is written out, none can be expanded (and
    # counting the nodes would cost a tenth of the parse).
    limit = MIN_EXPANDED_VALUES + ALIAS_EXPANSION_FACTOR * _distinct_nodes(nodes[0]) if "*" in text else None
    budget = [sys.maxsize if limit is None else limit]
    try:
        data = _to_python(file, nodes[0], (), _Tables(values, keys, texts), budget)
    except _StopConversion as stop:
        return stop.error
    return LocatedDocument(file, data, values, keys, texts)


MIN_EXPANDED_VALUES = 100_000
ALIAS_EXPANSION_FACTOR = 10


def _distinct_nodes(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return len(seen)


_TOO_DEEP = f"the manifest nests mappings and lists more than {MAX_NESTING_DEPTH} levels deep"
_TOO_DEEP_HINT = "manifests need only a few levels; flatten the value (see the README's Limits)"


@dataclass(frozen=True, slots=True)
class _Tables:
    values: dict[Path, tuple[int, int]]
    keys: dict[Path, tuple[int, int]]
    texts: dict[Path, str]


class _StopConversion(Exception):
    """A problem that stops the conversion (a duplicate key, an alias explosion), with its error."""

    def __init__(self, error: ManifestError) -> None:
        self.error = error


def _to_python(file: str, node: yaml.Node, path: Path, tables: _Tables, budget: list[int]) -> Any:
    values, keys = tables.values, tables.keys
    values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    budget[0] -= 1
    if budget[0] < 0:
        raise _StopConversion(
            ManifestError(
                file,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "YAML aliases (*name) here expand the file to too many values: aliases of aliases multiply",
                "write the values out, or use an alias only for a small block that is repeated a few times",
            )
        )
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and len(path) >= MAX_NESTING_DEPTH:
        raise _StopConversion(
            ManifestError(
                file, node.start_mark.line + 1, node.start_mark.column + 1, _TOO_DEEP, _TOO_DEEP_HINT
            )
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = str(_scalar(file, key_node))
            if name in result:
                first = keys[(*path, name)]
                raise _StopConversion(
                    ManifestError(
                        file,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        f"duplicate key '{name}' (first written at line {first[0]})",
                        "YAML keeps only the last of duplicate keys; remove one of them",
                    )
                )
            keys[(*path, name)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[name] = _to_python(file, value_node, (*path, name), tables, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(file, item, (*path, index), tables, budget) for index, item in enumerate(node.value)
        ]
    value = _scalar(file, node)
    if not isinstance(value, str):
        tables.texts[path] = str(node.value)
    return value


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(file: str, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return str(node.value)
    if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARACTERS:
        raise _StopConversion(
            ManifestError(
                file,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                f"a number of {len(node.value)} characters: numbers are limited to {MAX_NUMBER_CHARACTERS}",
                "quote it if it is text; no setting takes a number this long",
            )
        )
    if node.tag == _STR_TAG:  # most values: what the constructor would answer, without making one
        return str(node.value)
    # A bare constructor: a whole SafeLoader per scalar made large files crawl.
    try:
        value = yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, KeyError, AttributeError, TypeError, OverflowError):
        # An explicit tag: unknown (`!0`, `!!python/object`) or a value it does not fit (`!!int abc`).
        raise _StopConversion(_tag_error(file, node)) from None
    if isinstance(value, bytes):  # !!binary: manifests are JSON-shaped, they hold no bytes
        raise _StopConversion(_tag_error(file, node))
    # Dates stay text: manifests are JSON-shaped data (schemas, fingerprints, plan files).
    if isinstance(value, date | datetime):
        return node.value
    return value


_STANDARD_TAG = "tag:yaml.org,2002:"


def _tag_error(file: str, node: yaml.ScalarNode) -> ManifestError:
    tag = str(node.tag)
    shown = "!!" + tag.removeprefix(_STANDARD_TAG) if tag.startswith(_STANDARD_TAG) else tag
    known = tag.startswith(_STANDARD_TAG) and tag.removeprefix(_STANDARD_TAG) in _VALUE_TAGS
    message = (
        f"{str(node.value)[:40]!r} is not a valid {shown} value"
        if known and shown != "!!binary"
        else f"the YAML tag '{shown}' is not supported in manifests"
    )
    return ManifestError(
        file,
        node.start_mark.line + 1,
        node.start_mark.column + 1,
        message,
        "manifests take plain YAML values: remove the tag (quote the value if the '!' is part of the text)",
    )


_VALUE_TAGS = ("str", "int", "float", "bool", "null", "timestamp")
