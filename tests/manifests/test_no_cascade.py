"""One broken file gets its own errors, and no echo elsewhere: references to a model or an environment
whose file does not load are not reported again as "unknown" or "not defined" (they are)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifests.load import load_manifests
from tests.examples import copy_examples


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_examples(tmp_path)


def errors_of(repo: Path) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(repo)
    return [str(error) for error in caught.value.errors]


def test_a_model_file_that_does_not_parse_is_not_reported_unknown_in_every_environment(repo: Path) -> None:
    path = repo / "models" / "financial-analyst.yaml"
    path.write_text(path.read_text().replace("kind: Model\n", "kind: Model\nkind: Model\n", 1))
    errors = errors_of(repo)
    assert len(errors) == 1, errors
    assert "duplicate key 'kind'" in errors[0]


def test_an_environment_with_a_schema_error_is_not_reported_undefined_by_promoted_from(repo: Path) -> None:
    path = repo / "environments" / "staging.yaml"
    path.write_text(path.read_text().replace("modelUnits: 1", "modelUnits: many", 1))
    errors = errors_of(repo)
    assert len(errors) == 1, errors
    assert "environments/staging.yaml" in errors[0]


def test_an_environment_that_does_not_parse_is_not_reported_undefined_by_promoted_from(repo: Path) -> None:
    path = repo / "environments" / "staging.yaml"
    path.write_text(path.read_text().replace("  models:\n", "  models:\n\t- oops\n", 1))
    errors = errors_of(repo)
    assert len(errors) == 1, errors
    assert "environments/staging.yaml" in errors[0]


def test_a_truly_undefined_environment_is_still_reported(repo: Path) -> None:
    path = repo / "environments" / "prod.yaml"
    path.write_text(path.read_text().replace("environment: staging", "environment: stagign", 1))
    errors = errors_of(repo)
    assert any("promotedFrom names environment 'stagign'" in error for error in errors), errors
