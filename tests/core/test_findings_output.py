"""Findings in a plan: JSON round trip (old plan files without findings still load), text output."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from reconciler.core.findings import Finding, sort_findings
from reconciler.core.plan import Plan
from reconciler.core.planfile import load_plan, plan_problems, plan_to_json, save_plan
from reconciler.core.render import render_plan

ERROR = Finding(
    rule="promotedFrom",
    severity="error",
    message="prod pins financial-analyst v3, which staging does not run",
    fix="promote v3 to staging first",
    file="environments/prod.yaml",
    line=17,
    column=16,
    environment="prod",
)
WARNING = Finding(
    rule="preflight/ram-sharing",
    severity="warning",
    message="RAM sharing with the organization is off",
    fix="enable it",
    file="environments/staging.yaml",
    line=9,
    column=9,
    environment="staging",
    account="444455556666",
    region="us-east-1",
)


def plan_with(*findings: Finding) -> Plan:
    return Plan(
        actions=(),
        removals=(),
        manifests_fingerprint="a" * 64,
        live_fingerprint="b" * 64,
        created_at="2026-11-25T10:00:00+00:00",
        findings=sort_findings(findings),
    )


def test_findings_round_trip_through_a_saved_plan(tmp_path: Path) -> None:
    plan = plan_with(WARNING, ERROR)
    assert plan.findings == (ERROR, WARNING)  # errors first
    assert plan.blocked
    save_plan(plan, tmp_path / "p.json")
    assert load_plan(tmp_path / "p.json") == plan


def test_a_plan_saved_before_findings_existed_still_loads(tmp_path: Path) -> None:
    document = plan_to_json(plan_with())
    del document["findings"]
    assert plan_problems(document) == []
    (tmp_path / "old.json").write_text(json.dumps(document))
    loaded = load_plan(tmp_path / "old.json")
    assert loaded.findings == ()
    assert not loaded.blocked


def test_a_bad_finding_is_a_located_problem() -> None:
    document = plan_to_json(plan_with(ERROR))
    document["findings"][0]["severity"] = "fatal"
    assert any(p.startswith("findings/0/severity") for p in plan_problems(document))


def test_findings_are_printed_first_and_errors_block() -> None:
    text = render_plan(plan_with(ERROR, WARNING), color=False)
    lines = text.splitlines()
    assert lines[0] == (
        "Error: environments/prod.yaml:17:16: [promotedFrom] prod pins financial-analyst v3, "
        "which staging does not run"
    )
    assert lines[1] == "  How to fix: promote v3 to staging first"
    assert lines[2].startswith("Warning: environments/staging.yaml:9:9: [preflight/ram-sharing]")
    assert lines[-1] == "Plan blocked by 1 policy/preflight error (listed first)."


def test_warnings_alone_do_not_block() -> None:
    plan = plan_with(WARNING)
    assert not plan.blocked
    assert "blocked" not in render_plan(plan, color=False)
    assert dataclasses.replace(plan, findings=()) == plan_with()
