"""Edits of users' manifests that change only the lines they must: every other byte of the file (comments,
key order, quoting, blank lines, indentation) stays as the user wrote it.

ruamel.yaml's round-trip parser finds where things are (line and column of each node) and renders the new
lines in the file's own indentation; the edit itself is a splice of those lines into the original text, so
nothing is re-dumped. Each edit re-parses its result and checks that it says what was meant.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from reconciler.errors import ReconcilerError

PathKey = str | int
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@+-]*$")
_SCALAR = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\s#,\]}]+")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


class EditError(ReconcilerError):
    """The file cannot be edited safely in place; the message says what to change by hand."""


def _parser() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def load(text: str, file: str) -> Any:
    try:
        return _parser().load(text)
    except YAMLError as error:
        raise EditError(f"{file}: not valid YAML, so it cannot be edited: {error}") from None


def _node(root: Any, path: Sequence[PathKey], file: str) -> Any:
    node = root
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise EditError(f"{file}: no {'.'.join(map(str, path))} to edit") from None
    return node


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def plain_data(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (for comparisons)."""
    if isinstance(node, Mapping):
        return {str(k): plain_data(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain_data(v) for v in node]
    return node


def render_block(data: Any, indent: int, mapping_indent: int = 2) -> list[str]:
    """`data` as block-style YAML lines, shifted right by `indent` columns (each line ends with \\n)."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=mapping_indent, sequence=mapping_indent + 2, offset=mapping_indent)
    yaml.width = 4096  # never fold a long ARN or URL over two lines
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(data, out)
    lines = out.getvalue().splitlines()
    margin = min((_indent(line) for line in lines if line.strip()), default=0)  # a top-level list's offset
    return [(" " * indent + line[margin:] if line.strip() else "") + "\n" for line in lines]


def _item_region_end(lines: list[str], start: int, column: int, *, own_dashes: bool = False) -> int:
    """The index just after the last line that belongs to the node starting at line `start` in `column`
    (a list item's dash, or a key): the lines and comments indented inside it, and with `own_dashes` the
    entries of a list written at the key's own indentation; not the comments or blank lines that precede
    what follows."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        indent = _indent(line)
        if indent < column or (indent == column and not (own_dashes and line.lstrip().startswith("- "))):
            break
        end = index + 1
    return end


def _block_sequence(root: Any, path: Sequence[PathKey], file: str, lines: list[str]) -> tuple[Any, int]:
    seq = _node(root, path, file)
    where = ".".join(map(str, path))
    if not isinstance(seq, CommentedSeq) or len(seq) == 0:
        raise EditError(f"{file}: {where} is not a non-empty list; add the entry by hand")
    if seq.fa.flow_style():
        raise EditError(
            f"{file}: {where} is written in flow style ([...]); write it as a block list (one `- ` item per "
            "line) so that bedrock-gitops can add to it"
        )
    line, column = seq.lc.item(len(seq) - 1)
    dash = lines[line][:column].rstrip()
    if not dash.endswith("-"):
        raise EditError(f"{file}: cannot find the `- ` of the last entry of {where}; add the entry by hand")
    return seq, len(dash) - 1


def _mapping_indent(seq: Any, lines: list[str]) -> int:
    """How far nested keys are indented in this file (taken from the list's last entry), default 2."""
    last = seq[-1]
    if isinstance(last, CommentedMap):
        for key, value in last.items():
            if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
                inner = next(iter(value))
                step = value.lc.key(inner)[1] - last.lc.key(key)[1]
                if step > 0:
                    return int(step)
    return 2


def append_to_list(text: str, path: Sequence[PathKey], item: Any, file: str) -> str:
    """`text` with `item` appended to the block list at `path` (after its last entry and that entry's own
    comments), in the list's indentation. Every other line is unchanged."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    root = load(text, file)
    seq, dash_column = _block_sequence(root, path, file, lines)
    start = seq.lc.item(len(seq) - 1)[0]
    end = _item_region_end(lines, start, dash_column)
    rendered = render_block([item], dash_column, _mapping_indent(seq, lines))
    result = "".join([*lines[:end], *rendered, *lines[end:]])
    after = plain_data(_node(load(result, file), path, file))
    if after != [*plain_data(seq), plain_data(item)]:
        raise EditError(f"{file}: adding to {'.'.join(map(str, path))} did not give the expected list")
    return result


def scalar_text(value: str) -> str:
    """`value` as a YAML scalar: plain when it reads back as the same string, double-quoted otherwise."""
    if _PLAIN_SAFE.match(value) and value.lower() not in _YAML_WORDS and not _looks_numeric(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def replace_scalar(text: str, path: Sequence[PathKey], value: str, file: str) -> str:
    """`text` with the scalar at `path` (a mapping value) replaced by `value`, on its own line, keeping any
    comment after it."""
    if not path or not isinstance(path[-1], str):
        raise EditError(f"{file}: can only replace a mapping's value")
    root = load(text, file)
    parent = _node(root, path[:-1], file)
    key = path[-1]
    if not isinstance(parent, CommentedMap) or key not in parent:
        raise EditError(f"{file}: no {'.'.join(map(str, path))} to edit")
    line_no, column = parent.lc.value(key)
    lines = text.splitlines(keepends=True)
    line = lines[line_no]
    found = _SCALAR.match(line, column)
    if found is None:
        raise EditError(f"{file}:{line_no + 1}: cannot find the value of {key} to replace")
    lines[line_no] = line[: found.start()] + scalar_text(value) + line[found.end() :]
    result = "".join(lines)
    if plain_data(_node(load(result, file), path, file)) != value:
        raise EditError(f"{file}: replacing {'.'.join(map(str, path))} did not give {value!r}")
    return result


def set_list_value(
    text: str, path: Sequence[PathKey], values: Sequence[str], after_key: str, file: str
) -> str:
    """`text` with the mapping at `path[:-1]` holding `path[-1]: [values...]` as a block list: an existing
    list is rewritten in place (its lines only), a missing one is inserted after the key `after_key`."""
    root = load(text, file)
    parent = _node(root, path[:-1], file)
    key = str(path[-1])
    if not isinstance(parent, CommentedMap) or after_key not in parent:
        raise EditError(f"{file}: no {'.'.join(map(str, path[:-1]))}.{after_key} to edit")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    anchor_key = key if key in parent else after_key
    key_line, key_column = parent.lc.key(anchor_key)
    step = _mapping_indent_of(parent, lines)
    block = [" " * key_column + f"{key}:\n"] + [
        " " * (key_column + step) + f"- {scalar_text(v)}\n" for v in values
    ]
    end = _item_region_end(lines, key_line, key_column, own_dashes=True)
    if key in parent:
        result = "".join([*lines[:key_line], *block, *lines[end:]])
    else:
        result = "".join([*lines[:end], *block, *lines[end:]])
    if plain_data(_node(load(result, file), path, file)) != list(values):
        raise EditError(f"{file}: setting {'.'.join(map(str, path))} did not give {list(values)}")
    return result


def _mapping_indent_of(mapping: Any, lines: list[str]) -> int:
    for key, value in mapping.items():
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            step = value.lc.key(next(iter(value)))[1] - mapping.lc.key(key)[1]
            if step > 0:
                return int(step)
    return 2
