"""Walking a manifest's plain data (what the fuzz tests mutate)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into `node`, itself first: mapping keys and list indexes, depth first."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from key_paths(value, (*prefix, index))
