"""Documented input limits (README, "Limits"): past each, a located error instead of an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.cli import main
from reconciler.errors import ManifestErrors
from reconciler.manifests import load as load_module
from reconciler.manifests import yaml_nodes
from reconciler.manifests.load import load_manifests
from reconciler.manifests.yaml_nodes import MAX_NESTING_DEPTH, MAX_NUMBER_CHARACTERS
from tests.examples import copy_examples

EVIDENCE = '        approvedOn: "2026-07-14"\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_examples(tmp_path)


def _edit(repo: Path, name: str, old: str, new: str) -> int:
    """Replace the first `old` with `new`; the 1-based line where `new` starts."""
    path = repo / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def _errors(repo: Path) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(repo)
    return [str(error) for error in caught.value.errors]


def test_an_integer_past_pythons_digit_limit_is_a_located_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _edit(repo, "environments/prod.yaml", "modelUnits: 1", "modelUnits: " + "9" * 5000)
    assert main(["validate", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "Internal error" not in err
    assert f"environments/prod.yaml:{line}:" in err
    assert f"numbers are limited to {MAX_NUMBER_CHARACTERS}" in err


def test_a_long_number_as_a_key_is_a_located_error(repo: Path) -> None:
    # (YAML itself caps a plain key at 1,024 characters.)
    line = _edit(repo, "models/financial-analyst.yaml", EVIDENCE, EVIDENCE + "        " + "7" * 200 + ": x\n")
    [error] = _errors(repo)
    assert error.startswith(f"models/financial-analyst.yaml:{line + 1}:9: ")
    assert "a number of 200 characters" in error


def test_a_number_at_the_limit_is_read(repo: Path) -> None:
    _edit(
        repo,
        "models/financial-analyst.yaml",
        EVIDENCE,
        EVIDENCE + "        n: " + "1" * MAX_NUMBER_CHARACTERS + "\n",
    )
    analyst = load_manifests(repo).model("financial-analyst")
    assert analyst is not None
    assert analyst.versions[0].evidence["n"] == int("1" * MAX_NUMBER_CHARACTERS)


@pytest.mark.parametrize("opening", ["[", "{a: "])
@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH, 490, 900])
def test_nesting_past_the_limit_is_a_located_error(repo: Path, opening: str, depth: int) -> None:
    closing = "]" if opening == "[" else "}"
    deep = opening * depth + ("" if opening == "[" else "1") + closing * depth
    line = _edit(repo, "models/financial-analyst.yaml", EVIDENCE, EVIDENCE + f"        deep: {deep}\n")
    [error] = _errors(repo)
    assert error.startswith(f"models/financial-analyst.yaml:{line + 1}:"), error
    assert f"more than {MAX_NESTING_DEPTH} levels deep" in error


def test_nesting_just_under_the_limit_is_read(repo: Path) -> None:
    # The evidence mapping sits at depth 5 (document, spec, versions, version, evidence).
    depth = MAX_NESTING_DEPTH - 6
    _edit(
        repo,
        "models/financial-analyst.yaml",
        EVIDENCE,
        EVIDENCE + "        deep: " + "[" * depth + "]" * depth + "\n",
    )
    load_manifests(repo)


def test_the_pure_python_parser_too_deep_is_an_error_not_a_crash(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yaml_nodes, "_LOADER", yaml.SafeLoader)
    _edit(
        repo,
        "models/financial-analyst.yaml",
        EVIDENCE,
        EVIDENCE + "        deep: " + "[" * 990 + "]" * 990 + "\n",
    )
    [error] = _errors(repo)
    assert f"more than {MAX_NESTING_DEPTH} levels deep" in error


def test_a_file_past_the_size_limit_is_refused_before_reading(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_module, "MAX_MANIFEST_BYTES", 100_000)
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + "# padding\n" * 10_000)
    [error] = _errors(repo)
    assert error.startswith("environments/prod.yaml:1:1: error: the file is 1")
    assert "manifests are limited to 100,000 bytes" in error


def test_an_unquoted_account_id_with_a_leading_zero_is_shown_as_typed(repo: Path) -> None:
    line = _edit(repo, "environments/prod.yaml", 'id: "777788889999"', "id: 011122223333")
    [error] = _errors(repo)
    assert error.startswith(f"environments/prod.yaml:{line}:")
    assert 'quote it: "011122223333"' in error
    assert str(0o11122223333) not in error
    assert "octal" in error


def test_an_unquoted_account_id_without_a_leading_zero_keeps_its_digits(repo: Path) -> None:
    _edit(repo, "environments/prod.yaml", 'id: "777788889999"', "id: 777788889999")
    [error] = _errors(repo)
    assert 'quote it: "777788889999"' in error


@pytest.mark.parametrize("command", [["validate"], ["plan", "--sandbox"]])
def test_a_root_that_does_not_exist_says_so(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-repo"
    assert main([*command, "--root", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"the repository folder {missing} does not exist; pass --root" in err
    assert not missing.exists()
