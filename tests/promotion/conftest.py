"""Fixtures for the promotion pipeline: a copy of the example manifests with its own frozen-clock sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.sandbox.estate import SandboxEstate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    for folder in ("models", "environments"):
        shutil.copytree(REPO / folder, root / folder)
    directory = tmp_path / "sandbox"
    monkeypatch.setenv("BEDROCK_GITOPS_SANDBOX_DIR", str(directory))
    monkeypatch.delenv("BEDROCK_GITOPS_SANDBOX", raising=False)
    with SandboxEstate.open(directory) as estate:
        estate.update_settings(time_scale=0.0)  # only explicit moves (fine-tune, apply's waits) advance it
    return root
