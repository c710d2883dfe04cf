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


def test_explicit_tags_that_cannot_be_read_are_located_errors() -> None:
    cases = {
        "name: !0\n": "the YAML tag '!0' is not supported",
        "name: !!python/object:os.system x\n": "the YAML tag '!!python/object:os.system' is not supported",
        "name: !!binary aGk=\n": "the YAML tag '!!binary' is not supported",
        "name: !!set x\n": "the YAML tag '!!set' is not supported",
        "name: !!int abc\n": "'abc' is not a valid !!int value",
        "name: !!bool maybe\n": "'maybe' is not a valid !!bool value",
        "name: !!timestamp 2020-13-45\n": "'2020-13-45' is not a valid !!timestamp value",
        "name: !!timestamp abc\n": "'abc' is not a valid !!timestamp value",
        "!!int x: 1\n": "'x' is not a valid !!int value",
    }
    for text, message in cases.items():
        result = parse_document("models/tagged.yaml", "kind: Model\n" + text)
        assert isinstance(result, ManifestError), text
        assert message in result.message, (text, result.message)
        assert result.line == 2, text
        assert result.column == (1 if text.startswith("!") else 7), text
        assert "remove the tag" in result.hint


def test_explicit_tags_that_fit_their_value_still_work() -> None:
    result = parse_document("models/tagged.yaml", 'a: !!str 1\nb: !!int "7"\nc: !!null x\n')
    assert isinstance(result, LocatedDocument)
    assert result.data == {"a": "1", "b": 7, "c": None}
