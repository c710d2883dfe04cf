"""Small helpers every simulated operation uses: per-scope state, pagination, tags, times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reconciler.sandbox.api import validation_error

SCOPE_KINDS = ("models", "copy_jobs", "throughputs", "deployments")
DEFAULT_PAGE_SIZE = 100


def scope_of(state: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """`state["bedrock"]["<account>/<region>"]`, created empty on first use."""
    scope: dict[str, Any] = state.setdefault("bedrock", {}).setdefault(f"{account}/{region}", {})
    for kind in SCOPE_KINDS:
        scope.setdefault(kind, {})
    return scope


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def tags_of(item: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted(item.get("tags", {}).items())]


def page(
    items: list[Any], params: Mapping[str, Any], default_size: int = DEFAULT_PAGE_SIZE
) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` and, when more follow, {"nextToken": ...} (an opaque offset)."""
    size = int(params.get("maxResults") or default_size)
    token = params.get("nextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise validation_error(f"Invalid pagination token: {token}") from None
    end = start + size
    return items[start:end], ({"nextToken": str(end)} if end < len(items) else {})
