"""Every policy rule, pass and fail, through `bedrock-gitops plan --sandbox` on a copy of the examples."""

from __future__ import annotations

import pytest

from tests.examples import run_cli
from tests.policies.conftest import Repo, plan_json

PROD = "environments/prod.yaml"
KEY_ID = "7a6b5c4d-3e2f-4a1b-9c0d-e1f2a3b4c5d7"
STAGING = "environments/staging.yaml"
FINANCIAL_ANALYST = "models/financial-analyst.yaml"
V3 = """    - name: v3
      modelArn: arn:aws:bedrock:us-east-1:111122223333:custom-model/{base}/fa3v3j8k9m0n
      evidence:
        evaluation:
          accuracy: 0.93
        approvedBy: maria.lopez
""".format(base="amazon.nova-pro-v1:0:300k")


def errors(findings: list[dict[str, object]], rule: str) -> list[dict[str, object]]:
    return [f for f in findings if f["rule"] == rule and f["severity"] == "error"]


def test_the_example_manifests_pass_every_policy(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = plan_json(capsys, repo)
    assert code == 0
    assert findings == []


def release_v3(repo: Repo) -> None:
    """A new version, appended (versions are listed oldest first)."""
    path = repo.root / FINANCIAL_ANALYST
    path.write_text(path.read_text() + V3)


def test_a_pr_pinning_prod_to_a_version_staging_does_not_run_is_rejected(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pull request: v3 is released and prod is bumped to it straight away, skipping staging.
    release_v3(repo)
    repo.edit(PROD, "      version: v1", "      version: v3")
    planfile = repo.root / "prod.plan"
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root), "-out", str(planfile))
    assert code == 1
    first = out.splitlines()[0]
    assert first == (
        f"Error: {repo.where(PROD, 'v3')}: [promotedFrom] prod pins financial-analyst v3, which staging "
        f"does not run: staging pins v2 ({repo.where(STAGING, 'v2')}), and prod only receives versions "
        "staging has reached"
    )
    assert "How to fix: promote financial-analyst v3 to staging first" in out
    # v3 is released in the manifests only: its modelArn is not in the source account (preflight error).
    assert "[preflight/source-model]" in out
    assert "Plan blocked by 2 policy/preflight errors" in out
    assert "it was not saved" in err
    assert not planfile.exists()


def test_promotion_order_accepts_a_version_staging_runs_once_it_has_converged(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Same version as staging, but staging's copies are still to be made in this very plan.
    repo.edit(PROD, "      version: v1", "      version: v2")
    code, findings = plan_json(capsys, repo)
    assert code == 1
    found = errors(findings, "promotedFrom")
    # The example's soak time (24h) holds it back too: staging has not even verified v2 yet.
    [soak] = [f for f in found if str(f["message"]).startswith("soak: ")]
    assert "soak: financial-analyst v2 cannot enter prod: staging" in str(soak["message"]), soak
    [finding] = [f for f in found if f is not soak]
    assert finding["message"] == (
        "financial-analyst v2 cannot enter prod yet: staging has not converged on it (this plan still "
        "makes staging/us-east-1/financial-analyst/copy)"
    )
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(PROD, "v2")


def test_promotion_from_an_environment_that_does_not_run_the_model(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = repo.root / PROD
    prod.write_text(
        prod.read_text()
        + "    - name: support-summarizer\n      version: v1\n      capacity:\n        type: none\n"
    )
    staging = repo.root / STAGING
    text = staging.read_text()
    staging.write_text(text[: text.index("    - name: support-summarizer")])
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = errors(findings, "promotedFrom")
    assert finding["message"] == (
        "prod runs support-summarizer v1, but staging (its promotedFrom) does not run "
        "support-summarizer at all"
    )


def test_allowed_regions(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(PROD, "    - us-east-1\n", "    - us-east-1\n    - eu-west-1\n")
    repo.edit(
        PROD,
        "    us-east-1: arn",
        f"    eu-west-1: arn:aws:kms:eu-west-1:777788889999:key/{KEY_ID}\n    us-east-1: arn",
    )
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = errors(findings, "allowedRegions")
    assert finding["message"] == (
        "prod serves eu-west-1, which its allowedRegions (us-east-1, us-west-2) do not include"
    )
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(PROD, "- eu-west-1", 2)


def test_allowed_accounts(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(PROD, '["777788889999", "111122223333"]', '["777788889999"]')
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = errors(findings, "allowedAccounts")
    assert "financial-analyst comes from account 111122223333 (models/financial-analyst.yaml:" in str(
        finding["message"]
    )


def test_require_kms(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(
        PROD,
        "  kmsKeys:\n    us-east-1: arn:aws:kms:us-east-1:777788889999:key/"
        "0f3c2b1a-4d5e-4f60-8a7b-9c8d7e6f5a41\n",
        "",
    )
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = errors(findings, "requireKms")
    assert "kmsKeys has no us-east-1" in str(finding["message"])
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(PROD, "- us-east-1", 2)


def test_required_evidence(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(PROD, "minimum: 0.85", "minimum: 0.9")
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root))
    assert code == 1
    assert (
        f"Error: {repo.where(PROD, 'version: v1', 9)}: [requiredEvidence] financial-analyst v1 lacks "
        "the evidence prod requires (version at models/financial-analyst.yaml:" in out
    )
    assert "evidence.evaluation.accuracy: 0.87 is less than the minimum of 0.9" in out


def test_max_model_units_blocks_in_prod_and_only_warns_in_staging(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.edit(STAGING, "        modelUnits: 1", "        modelUnits: 3")
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root))
    assert code == 0
    assert (
        f"Warning: {repo.where(STAGING, 'modelUnits: 3', 12)}: [maxModelUnits] financial-analyst asks "
        "for 3 model units; staging allows at most 2 per provisioned throughput"
    ) in out
    repo.edit(PROD, "        modelUnits: 1", "        modelUnits: 3")
    code, findings = plan_json(capsys, repo)
    assert code == 1
    assert [f["environment"] for f in errors(findings, "maxModelUnits")] == ["prod"]


def test_allowed_commitments(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(PROD, "        commitment: OneMonth", "        commitment: none")
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = errors(findings, "allowedCommitments")
    assert finding["message"] == "financial-analyst uses commitment none; prod allows OneMonth, SixMonths"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "environment: staging",
            "environment: qa",
            "promotedFrom names environment 'qa', which is not defined",
        ),
        ("environment: staging", "environment: prod", "environment 'prod' cannot be promoted from itself"),
        ("minimum: 0.85}", "minimum: high}", "requiredEvidence is not a valid JSON Schema"),
    ],
)
def test_policy_configuration_errors_are_located(
    repo: Repo, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    repo.edit(PROD, old, new)
    code, _, err = run_cli(capsys, "validate", "--root", str(repo.root))
    assert code == 1, err
    value = new.split(": ")[1].rstrip("}")
    assert f"{repo.where(PROD, new, new.index(value))}: error: {message}" in err


def test_a_promotion_loop_is_a_manifest_error(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit("environments/dev.yaml", "  models:\n", "  policies:\n    promotedFrom: prod\n  models:\n")
    code, _, err = run_cli(capsys, "validate", "--root", str(repo.root))
    assert code == 1
    assert "promotedFrom makes a loop: dev <- prod <- staging <- dev" in err
