"""Behaviour of the `bedrock-gitops` command line, end to end on the example manifests and the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.examples import example_repo, run_cli

REPO = Path(__file__).resolve().parents[2]
PLAN_SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example_repo(tmp_path, monkeypatch)


def test_validate_accepts_the_examples(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", "--root", str(repo))
    assert code == 0
    assert "Manifests are valid: 2 models (3 versions), 3 environments." in out


def test_validate_reports_located_errors_without_traceback(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("version: v1", "version: v9"))
    code, _, err = run_cli(capsys, "validate", "--root", str(repo))
    assert code == 1
    assert "environments/prod.yaml:" in err
    assert "v9" in err
    assert "Traceback" not in err
    assert "1 error in the manifests." in err


def test_plan_on_a_fresh_sandbox_creates_shares_copies_and_capacity(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-detailed-exitcode")
    assert code == 2, err
    assert "CreateResourceShare" in out or "share" in out
    assert "CreateModelCopyJob" in out
    assert "Plan: " in out
    assert " to add" in out


def test_plan_without_detailed_exitcode_exits_zero_on_changes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo))
    assert code == 0, err


def test_the_readme_shows_what_the_first_command_prints(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's first command is `bedrock-gitops plan --sandbox` on the examples: its output, shown there,
    includes what apply will verify (spec.verify) and prod's soak time."""
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--no-color")
    assert code == 0, err
    readme = (REPO / "README.md").read_text()
    shown = readme.split("<!-- PLAN-EXAMPLE:START -->\n```text\n", 1)[1].split(
        "```\n<!-- PLAN-EXAMPLE:END", 1
    )[0]
    assert shown == out, (
        "README.md's plan example is out of date: paste `bedrock-gitops plan --sandbox` there"
    )
    assert "After apply, verification (spec.verify) invokes:" in out
    assert "prod takes a version only after staging has served it, verified, for 24h" in out


def test_plan_json_matches_the_plan_schema(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(document)
    operations = {action["operation"] for action in document["actions"]}
    assert {"CreateResourceShare", "CreateModelCopyJob", "CreateProvisionedModelThroughput"} <= operations


def test_saved_plan_shows_the_same_plan(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planfile = tmp_path / "plan.json"
    code, planned, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "-out", str(planfile))
    assert code == 0, err
    code, shown, err = run_cli(capsys, "show", str(planfile))
    assert code == 0, err
    assert shown.strip() in planned
    code, as_json, _ = run_cli(capsys, "show", str(planfile), "--json")
    assert code == 0
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(json.loads(as_json))


def test_show_of_a_missing_plan_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "show", str(tmp_path / "nope.json"))
    assert code == 1
    assert "nope.json" in err
    assert "Traceback" not in err


def test_stats_prints_api_calls(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo), "--stats")
    assert code == 0, err
    assert "bedrock.ListCustomModels" in err
    assert "total" in err


def test_invalid_manifests_make_plan_fail_before_any_aws_call(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "models" / "financial-analyst.yaml").write_text("apiVersion: [\n")
    code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo))
    assert code == 1
    assert "models/financial-analyst.yaml:" in err
    assert not (tmp_path / "sandbox").exists(), "the sandbox was opened although the manifests are invalid"


def test_unreachable_aws_is_a_clear_error(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real-AWS mode pointed at a closed local port: exercises the error path without any network traffic.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret-not-real")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = run_cli(capsys, "plan", "--root", str(repo))
    assert code == 1
    assert "Traceback" not in err
    assert "111122223333" in err or "777788889999" in err or "444455556666" in err
    assert "example-secret-not-real" not in err


def test_console_script_and_module_entry_points() -> None:
    for command in (["bedrock-gitops", "--help"], [sys.executable, "-m", "reconciler", "--help"]):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "validate" in result.stdout
        assert "plan" in result.stdout
