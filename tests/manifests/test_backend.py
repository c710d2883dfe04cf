"""The Backend manifest (environments/backend.yaml): where apply keeps its lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Backend
from tests.examples import copy_examples


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_examples(tmp_path)


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ManifestErrors) as raised:
        load_manifests(root)
    return [str(error) for error in raised.value.errors]


def test_the_example_backend_is_read(root: Path) -> None:
    backend = load_manifests(root).backend
    assert (backend.lock_table, backend.lock_region, backend.lock_key) == (
        "bedrock-gitops-locks",
        "us-east-1",
        "bedrock-gitops",
    )
    assert backend.lease_seconds == 600
    assert backend.location is not None
    assert backend.location.file == "environments/backend.yaml"


def test_without_a_backend_the_defaults_apply(root: Path) -> None:
    (root / "environments" / "backend.yaml").unlink()
    assert load_manifests(root).backend == Backend()


def test_a_misspelt_key_is_located_with_a_suggestion(root: Path) -> None:
    path = root / "environments" / "backend.yaml"
    path.write_text(path.read_text().replace("dynamodbTable:", "dynamoTable:"))
    errors = errors_of(root)
    assert any(
        e.startswith("environments/backend.yaml:10:5: error:") and "dynamodbTable" in e for e in errors
    )


def test_a_backend_in_another_file_is_refused_with_where_it_belongs(root: Path) -> None:
    backend = root / "environments" / "backend.yaml"
    backend.rename(root / "environments" / "lock.yaml")
    (error,) = errors_of(root)
    assert error.startswith(
        "environments/lock.yaml:5:7: error: kind 'Backend' does not belong in environments/"
    )
    assert "move the file to environments/backend.yaml" in error


def test_a_lease_too_short_is_refused(root: Path) -> None:
    path = root / "environments" / "backend.yaml"
    path.write_text(path.read_text().replace("leaseSeconds: 600", "leaseSeconds: 5"))
    (error,) = errors_of(root)
    assert "leaseSeconds" in error
    assert "60" in error
