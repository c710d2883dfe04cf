"""Ownership tags: the only way the reconciler decides that a resource is its own."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler import MANAGED_BY_TAG, MANAGED_BY_VALUE


def is_managed(tags: Mapping[str, str] | None) -> bool:
    return bool(tags) and tags is not None and tags.get(MANAGED_BY_TAG) == MANAGED_BY_VALUE


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Bedrock's and RAM's `[{"key": k, "value": v}]` form, in a stable order."""
    return [{"key": key, "value": value} for key, value in sorted(tags.items())]
