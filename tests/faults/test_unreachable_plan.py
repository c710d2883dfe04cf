"""One account unreachable: plan fails, naming it (a partial read would plan to create what it cannot see)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.sandbox.estate import DIRECTORY_ENV_VAR, SandboxEstate
from tests.examples import copy_examples

PROD = "777788889999"


def test_plan_fails_naming_the_unreachable_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_examples(tmp_path)
    sandbox_dir = tmp_path / "sandbox"
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.update_settings(time_scale=0.0, unreachable_accounts=[PROD])
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(sandbox_dir))
    assert main(["plan", "--sandbox", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"account {PROD}" in err
    assert "Traceback" not in err
    # prod's Region is named, and no other account is blamed.
    assert "us-east-1" in err
    assert "444455556666" not in err
