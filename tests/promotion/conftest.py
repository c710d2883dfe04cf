"""Fixtures for the promotion pipeline: a copy of the example manifests with its own frozen-clock sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import example_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Only explicit moves (fine-tune, apply's waits) advance the sandbox's clock.
    return example_repo(tmp_path, monkeypatch, time_scale=0.0)
