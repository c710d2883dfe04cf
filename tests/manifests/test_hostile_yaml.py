"""Hostile YAML (a manifest from a fork's pull request is validated in CI): aliases that expand
exponentially ("billion laughs") are refused at once with a located error, instead of hanging."""

from __future__ import annotations

from reconciler.errors import ManifestError
from reconciler.manifests.yaml_nodes import LocatedDocument, parse_document


def _bomb(levels: int) -> str:
    lines = ["evidence:", '  a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, levels + 1):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_exponential_aliases_are_refused() -> None:
    result = parse_document("models/bomb.yaml", _bomb(9))  # 10**10 values once expanded
    assert isinstance(result, ManifestError)
    assert "alias" in result.message
    assert result.line > 1


def test_ordinary_anchors_and_aliases_still_work() -> None:
    result = parse_document("models/ok.yaml", _bomb(2))
    assert isinstance(result, LocatedDocument)
    assert len(result.data["evidence"]["a2"]) == 10
