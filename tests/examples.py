"""The example repository in tests: copies of its manifests, the command line's --sandbox pointed at a
sandbox of the test's own, and what a command line run printed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.pipeline import SANDBOX_ENV_VAR
from reconciler.sandbox.estate import DIRECTORY_ENV_VAR, SandboxEstate

REPO = Path(__file__).resolve().parents[1]


def copy_examples(root: Path) -> Path:
    """The example manifests (models/ and environments/) copied to `root`."""
    for folder in ("models", "environments"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def example_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> Path:
    """A copy of the example manifests at tmp_path/repo whose --sandbox is tmp_path/sandbox, with these
    sandbox settings (without any, the sandbox is made on its first use)."""
    sandbox_dir = tmp_path / "sandbox"
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(sandbox_dir))
    monkeypatch.delenv(SANDBOX_ENV_VAR, raising=False)
    if settings:
        with SandboxEstate.open(sandbox_dir) as estate:
            estate.update_settings(**settings)
    return copy_examples(tmp_path / "repo")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`bedrock-gitops ARGV`: its exit code, standard output and standard error."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
