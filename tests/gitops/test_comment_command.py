"""`bedrock-gitops comment PLANFILE [--report FILE]` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.core.planfile import save_plan
from tests.gitops.plans import big_plan, copy_action, make_plan, throughput_action


@pytest.fixture
def planfile(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    plan = make_plan((copy_action("prod", "us-east-1", "fa"), throughput_action("prod", "us-east-1", "fa")))
    save_plan(plan, path)
    return path


def test_comment_prints_the_markdown_of_a_saved_plan(
    planfile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["comment", str(planfile), "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!-- bedrock-gitops:plan part=1 -->\n## bedrock-gitops plan")
    assert "| prod | 2 | 0 | 0 | 0 | 0 |" in out


def test_comment_with_an_apply_report_shows_what_failed(
    planfile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    steps = [
        {"address": "prod/us-east-1/fa/copy", "outcome": "failed", "message": "AccessDenied <b>kms</b>"},
        {"address": "prod/us-east-1/fa/throughput", "outcome": "skipped", "message": "its copy failed"},
    ]
    summary = {"done": 0, "failed": 1, "skipped": 1, "timed_out": 0}
    report.write_text(json.dumps({"succeeded": False, "summary": summary, "steps": steps}))
    out_file = tmp_path / "comment.md"
    code = main(["comment", str(planfile), "--report", str(report), "-o", str(out_file), "-C", str(tmp_path)])
    assert code == 0
    text = out_file.read_text()
    assert text.startswith("<!-- bedrock-gitops:apply part=1 -->")
    assert ":x: **Apply incomplete:** 0 done, 1 failed, 1 skipped, 0 still running." in text
    assert "AccessDenied &#60;b&#62;kms&#60;/b&#62;" in text
    assert ":x: <code>skipped</code>: its copy failed" in text


def test_comment_splits_at_the_given_limit(
    planfile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_plan(big_plan(environments=2, regions=2, models=4), planfile)
    assert main(["comment", str(planfile), "--limit", "6000", "-C", str(tmp_path)]) == 0
    parts = capsys.readouterr().out.split("<!-- bedrock-gitops:plan part=")
    assert len(parts) > 2
    assert all(len(part) < 6000 for part in parts)
    assert main(["comment", str(planfile), "--limit", "100"]) == 1
    assert "too small" in capsys.readouterr().err


def test_a_missing_report_is_an_error_with_advice(
    planfile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["comment", str(planfile), "--report", str(tmp_path / "nope.json")]) == 1
    assert "no apply report at" in capsys.readouterr().err


def test_posting_outside_github_actions_says_what_is_missing(
    planfile: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    assert main(["comment", str(planfile), "--post", "--pr", "3"]) == 1
    assert "GITHUB_REPOSITORY and GITHUB_TOKEN not set" in capsys.readouterr().err
