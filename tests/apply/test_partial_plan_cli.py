"""`plan/apply --environment NAME` (a partial plan, like Terraform's -target) through the command line, on
the example manifests and the sandbox: the warning in every output, unknown names, one unreachable account
outside the scope, removals kept inside the scope, and a saved scoped plan applied with exactly its scope
(and refused when its scope was edited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from tests.apply.support import Estate, cli_estate

DEV, STAGING, PROD = "111122223333", "444455556666", "777788889999"
PARTIAL = "This plan is PARTIAL: it covers only the environment(s)"


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Estate:
    return cli_estate(tmp_path, monkeypatch, time_scale=20000.0)  # the CLI's real waiting stays short


def run(capsys: pytest.CaptureFixture[str], estate: Estate, *argv: str) -> tuple[int, str, str]:
    code = main([argv[0], "--sandbox", "--root", str(estate.root), *argv[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def apply_args(*extra: str) -> tuple[str, ...]:
    return ("apply", "--poll-seconds", "0.05", *extra)


def plan_json(capsys: pytest.CaptureFixture[str], estate: Estate, *flags: str) -> Any:
    code, out, err = run(capsys, estate, "plan", "--json", *flags)
    assert code == 0, err
    return json.loads(out)


def test_a_scoped_plan_says_it_is_partial_and_covers_its_environments_only(
    estate: Estate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, estate, "plan", "--environment", "staging")
    assert code == 0, err
    assert out.startswith("Warning: " + PARTIAL + " staging (--environment)")
    assert "Partial plan: environments staging only." in out
    assert "prod/" not in out
    assert "dev/" not in out
    # The share staging needs is made in the source account, granted to staging only.
    assert "principals = [444455556666]" in out
    assert PROD not in out

    data = plan_json(capsys, estate, "-e", "staging")
    assert data["scope"] == {
        "environments": ["staging"],
        "partial": True,
        "warning": data["scope"]["warning"],
    }
    assert PARTIAL in data["scope"]["warning"]
    assert {a["address"].split("/")[0] for a in data["actions"]} == {"staging", "share"}
    # A whole-estate plan keeps its shape: no scope member.
    assert "scope" not in plan_json(capsys, estate)

    # The PR comment of a saved scoped plan carries the warning too.
    planfile = tmp_path / "staging.tfplan"
    code, _, err = run(capsys, estate, "plan", "-e", "staging", "-e", "staging", "-out", str(planfile))
    assert code == 0, err
    assert main(["comment", str(planfile), "--root", str(estate.root)]) == 0
    comment = capsys.readouterr().out
    assert "> :warning: This plan is PARTIAL" in comment
    assert main(["show", str(planfile)]) == 0
    assert PARTIAL in capsys.readouterr().out


def test_an_unknown_environment_is_an_error_listing_the_known_ones(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (("plan",), apply_args("--auto-approve")):
        code, _out, err = run(capsys, estate, *command, "-e", "staging", "-e", "qa")
        assert code == 1
        assert "--environment 'qa': no such environment in environments/ (known: dev, prod, staging)" in err
        assert "Traceback" not in err
        assert "Acquired" not in err


def test_one_unreachable_account_outside_the_scope_does_not_block_the_others(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    estate.settings(unreachable_accounts=[PROD])
    code, _, err = run(capsys, estate, "plan")
    assert code == 1
    assert f"account {PROD}" in err
    # staging and dev are planned and applied without a single call to prod's account.
    code, out, err = run(capsys, estate, *apply_args("-e", "staging", "-e", "dev", "--auto-approve"))
    assert code == 0, err
    assert "Apply complete! 7 done, 0 failed" in out
    assert PROD not in out
    data = plan_json(capsys, estate, "-e", "dev", "-e", "staging", "--prune")
    assert data["actions"] == []
    assert data["removals"] == []
    # prod alone still needs its account.
    code, _, err = run(capsys, estate, "plan", "-e", "prod")
    assert code == 1
    assert f"account {PROD}" in err
    estate.settings(unreachable_accounts=[])
    data = plan_json(capsys, estate)
    assert {a["address"].split("/")[0] for a in data["actions"]} == {"share", "prod"}


def test_removals_stay_inside_the_scope(estate: Estate, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, estate, *apply_args("--auto-approve"))
    assert code == 0, err
    # staging stops running support-summarizer: its deployment, its copy and staging's share principal
    # (a share that lives in dev's account) are no longer declared.
    estate.edit(
        "environments/staging.yaml",
        "    - name: support-summarizer\n      version: v1\n      capacity:\n        type: on-demand\n",
        "",
    )
    whole = {r["address"] for r in plan_json(capsys, estate)["removals"]}
    principal = f"{DEV}/us-east-1/share/bedrock-gitops-support-summarizer-v1/principal/{STAGING}"
    assert principal in whole
    assert f"{STAGING}/us-east-1/deployment/staging-support-summarizer" in whole
    for scope in ("dev", "prod"):
        data = plan_json(capsys, estate, "-e", scope, "--prune")
        assert data["actions"] == [], scope
        assert data["removals"] == [], scope
    data = plan_json(capsys, estate, "-e", "staging", "--prune")
    deleted = {a["address"] for a in data["actions"]}
    assert principal in deleted
    assert {a["account"] for a in data["actions"]} <= {DEV, STAGING}
    # Applied with the scope of dev only, nothing of staging's is pruned.
    code, out, err = run(capsys, estate, *apply_args("-e", "dev", "--prune", "--auto-approve"))
    assert code == 0, err
    assert "No changes." in out
    assert f"{STAGING}/us-east-1/deployment/staging-support-summarizer" in {
        r["address"] for r in plan_json(capsys, estate)["removals"]
    }


def test_a_saved_scoped_plan_is_applied_with_exactly_its_scope(
    estate: Estate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planfile = tmp_path / "staging.tfplan"
    code, _, err = run(capsys, estate, "plan", "-e", "staging", "-out", str(planfile))
    assert code == 0, err
    saved = json.loads(planfile.read_text())
    before = estate.resources()

    def edited(name: str, change: dict[str, object]) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps({**saved, **change}))
        return path

    # The scope widened by hand: a fresh plan of that scope is not the file's.
    wider = edited("wider.tfplan", {"scope": {**saved["scope"], "environments": ["prod", "staging"]}})
    code, out, err = run(capsys, estate, *apply_args(str(wider)))
    assert code == 1
    assert "prod/us-east-1/financial-analyst/copy: now needs CreateModelCopyJob" in err
    # Narrowed to another environment: the file acts outside its scope.
    other = edited("other.tfplan", {"scope": {**saved["scope"], "environments": ["dev"]}})
    code, out, err = run(capsys, estate, *apply_args(str(other)))
    assert code == 1
    assert "does not match a fresh plan" in err
    assert "scope: the file acts outside its scope environments dev" in err
    # Made a whole-estate plan: its actions are not the whole estate's.
    whole = tmp_path / "whole.tfplan"
    whole.write_text(json.dumps({k: v for k, v in saved.items() if k != "scope"}))
    code, out, err = run(capsys, estate, *apply_args(str(whole)))
    assert code == 1
    assert "Nothing was applied" in err
    # An environment nobody declares.
    ghost = edited("ghost.tfplan", {"scope": {**saved["scope"], "environments": ["qa"]}})
    code, out, err = run(capsys, estate, *apply_args(str(ghost)))
    assert code == 1
    assert "scope: the file names environment(s) qa that no manifest declares" in err
    # Another scope on the command line than the file's.
    code, out, err = run(capsys, estate, *apply_args("-e", "prod", str(planfile)))
    assert code == 1
    assert "scope: the file covers environments staging, the apply covers environments prod" in err
    assert estate.resources() == before  # nothing was applied by the refused files

    code, out, err = run(capsys, estate, *apply_args(str(planfile)))
    assert code == 0, err
    assert "Apply complete! 6 done, 0 failed" in out
    report = json.loads(planfile.with_name("staging.tfplan.report.json").read_text())
    assert {s["address"].split("/")[0] for s in report["steps"]} == {"staging", "share"}
    remaining = plan_json(capsys, estate)
    assert {a["address"].split("/")[0] for a in remaining["actions"]} == {"share", "prod", "dev"}
