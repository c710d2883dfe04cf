"""The verification gates through the command line, on a copy of the example repository and the sandbox:
apply verifies staging and tags it; prod's plan waits out the soak time; a version that answers wrongly
fails verification and prod refuses it; `verify` reports capacity that stopped answering."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.apply.support import Estate, cli_estate
from tests.examples import run_cli

STAGING_VERIFY = """
  verify:
    financial-analyst:
      minPassing: 2
      prompts:
        - name: revenue
          converse:
            messages:
              - role: user
                content: [{text: "What drove Q3 revenue growth?"}]
            inferenceConfig: {maxTokens: 200, temperature: 0}
          expect:
            regex: "(?i)revenue"
            maxLatencyMs: 5000
        - name: json-answer
          converse:
            messages:
              - role: user
                content: [{text: "Answer in JSON: which quarter had the highest margin?"}]
          expect:
            jsonSchema: {type: object, required: [answer]}
    support-summarizer:
      prompts:
        - name: native-nova
          body:
            messages:
              - role: user
                content: [{text: "Summarise: the customer cannot log in since the update."}]
            inferenceConfig: {maxTokens: 100}
          expect:
            regex: "log in"
"""


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Estate:
    # Frozen time and instant jobs: apply takes no simulated time, so the soak is measured exactly.
    instant = {"copy_job_seconds": 0, "throughput_seconds": 0, "deployment_seconds": 0}
    estate = cli_estate(tmp_path, monkeypatch, time_scale=0.0, **instant)
    # The example's prod already declares promotedFrom: {environment: staging, soak: 24h}.
    prod = (estate.root / "environments" / "prod.yaml").read_text()
    assert "      environment: staging\n      soak: 24h\n" in prod
    staging = estate.root / "environments" / "staging.yaml"
    staging.write_text(without_verify(staging.read_text()) + STAGING_VERIFY)
    return estate


def without_verify(text: str) -> str:
    """The environment without the example's own spec.verify (the tests declare theirs)."""
    return re.sub(r"\n  verify:\n.*?(?=\n  models:\n)", "", text, flags=re.S)


def apply(estate: Estate, capsys: pytest.CaptureFixture[str], report: Path) -> tuple[int, str, str]:
    return run_cli(
        capsys,
        "apply",
        "--sandbox",
        "--root",
        str(estate.root),
        "--auto-approve",
        "--poll-seconds",
        "0.05",
        "--report",
        str(report),
    )


def plan_prod_v2(estate: Estate, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(capsys, "plan", "--sandbox", "--root", str(estate.root))


def test_apply_verifies_and_tags_staging_then_prod_waits_out_the_soak(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = plan_prod_v2(estate, capsys)
    assert code == 0
    assert "After apply, verification (spec.verify) invokes:\n" in out
    assert (
        "\n  staging/us-east-1/financial-analyst/throughput: "
        "2 prompts (revenue, json-answer), at least 2 must pass; then tagged bedrock-gitops:verified="
    ) in out
    assert "  prod takes a version only after staging has served it, verified, for 24h" in out
    report = estate.root / "report.json"
    code, out, err = apply(estate, capsys, report)
    assert code == 0, out + err
    assert "staging/us-east-1/financial-analyst/throughput (financial-analyst v2): passed, 2 of 2" in out
    data = json.loads(report.read_text())
    checks = {v["address"]: v for v in data["verifications"]}
    # Every Region staging serves them in (the example's layout decides how many).
    assert "staging/us-east-1/financial-analyst/throughput" in checks
    assert "staging/us-east-1/support-summarizer/deployment" in checks
    assert "prod/us-east-1/financial-analyst/throughput" in checks  # the example verifies prod too
    assert all(v["passed"] and v["verified_at"] for v in checks.values())
    state = estate.state()
    tags = [
        t["tags"].get("bedrock-gitops:verified", "")
        for scope in state["bedrock"].values()
        for t in scope["throughputs"].values()
        if t["name"] == "staging-financial-analyst"
    ]
    assert len(tags) >= 1
    assert all(tag.startswith("v2@") for tag in tags)

    # prod takes v2 only once staging has served it, verified, for 24 hours.
    estate.edit("environments/prod.yaml", "version: v1", "version: v2")
    run_cli(capsys, "sandbox", "advance", "3600", "--root", str(estate.root))
    code, out, err = plan_prod_v2(estate, capsys)
    assert code == 1
    assert "soak: 23h00m left: financial-analyst v2 may enter prod once staging has served it" in out + err
    run_cli(capsys, "sandbox", "advance", "82740", "--root", str(estate.root))
    code, out, err = plan_prod_v2(estate, capsys)
    assert code == 1
    assert "soak: 1m left" in out + err
    run_cli(capsys, "sandbox", "advance", "60", "--root", str(estate.root))
    code, out, err = plan_prod_v2(estate, capsys)
    assert code == 0, out + err
    assert "soak: " not in out + err
    assert "~ update prod/us-east-1/financial-analyst/throughput" in out


def test_a_version_that_answers_wrongly_fails_verification_and_prod_refuses_it(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "sandbox", "set", "wrong_answer_models=financial-analyst-v2", "--root", str(estate.root))
    report = estate.root / "report.json"
    code, out, err = apply(estate, capsys, report)
    assert code == 1
    assert "FAIL revenue (180 ms): the answer does not match the regex '(?i)revenue'" in out
    assert "answer: I am not able to help with that." in out
    assert re.search(r"verification FAILED on \d+ capacit(y|ies) \(nothing was rolled back\)", out)
    data = json.loads(report.read_text())
    assert data["succeeded"] is False
    assert {v["model"]: v["passed"] for v in data["verifications"] if v["environment"] == "staging"} == {
        "financial-analyst": False,
        "support-summarizer": True,
    }
    estate.edit("environments/prod.yaml", "version: v1", "version: v2")
    run_cli(capsys, "sandbox", "advance", "172800", "--root", str(estate.root))
    code, out, err = plan_prod_v2(estate, capsys)
    assert code == 1
    assert "soak: financial-analyst v2 cannot enter prod" in out + err
    assert "has not passed verification on v2" in out + err


def test_verify_reports_capacity_that_stopped_answering(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = apply(estate, capsys, estate.root / "report.json")
    assert code == 0, out + err
    code, out, _ = run_cli(
        capsys, "verify", "--sandbox", "--root", str(estate.root), "--environment", "staging"
    )
    assert code == 0
    assert re.search(r"Verification passed on all \d+ capacities\.", out)
    run_cli(capsys, "sandbox", "set", "unanswering_models=financial-analyst-v2", "--root", str(estate.root))
    code, out, _ = run_cli(capsys, "verify", "--sandbox", "--root", str(estate.root), "-e", "staging")
    assert code == 1
    assert "Converse failed: ModelTimeoutException: The request took too long to process." in out
    assert re.search(r"Verification FAILED on \d+ of \d+ capacities\.", out)
    assert "support-summarizer/deployment (support-summarizer v1): passed" in out
