"""Every preflight check, pass and fail, through `bedrock-gitops plan --sandbox`: the sandbox answers
Organizations, KMS, Service Quotas and GetFoundationModel; each test changes the estate (or the manifests)
the way the real world can be wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import seed
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.governance import key_policy
from tests.examples import run_cli
from tests.policies.conftest import Repo, plan_json

PROD = "environments/prod.yaml"
STAGING = "environments/staging.yaml"
Findings = list[dict[str, Any]]


def change_estate(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the sandbox's state document before the plan runs (the repo fixture points the CLI at it)."""
    with SandboxEstate.open(tmp_path / "sandbox") as estate, estate.store.locked(write=True) as state:
        change(state)


def preflight(findings: Findings, check: str) -> Findings:
    return [f for f in findings if f["rule"] == f"preflight/{check}"]


def test_the_seeded_estate_passes_every_check(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root), "--stats")
    assert code == 0
    assert "Error:" not in out
    assert "Warning:" not in out
    for call in (
        "organizations.DescribeOrganization",
        "organizations.ListAWSServiceAccessForOrganization",
        "bedrock.GetFoundationModel",
        "service-quotas.ListServiceQuotas",
        "kms.GetKeyPolicy",
        "kms.ListGrants",
    ):
        assert call in err


def test_an_account_outside_the_organization(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    change_estate(tmp_path, lambda s: s["organization"]["accounts"].remove(seed.PROD))
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = preflight(findings, "organization")
    assert (finding["severity"], finding["account"], finding["environment"]) == ("error", seed.PROD, "prod")
    assert finding["message"] == (
        f"account {seed.PROD} is not in an AWS Organization, and RAM shares custom models only between "
        "accounts of one organization"
    )
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(PROD, f'"{seed.PROD}"')


def test_ram_sharing_with_the_organization_disabled_is_an_error(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # RAM refuses to share a custom model then (tests/preflight/test_aws_refusals.py, refusal 1).
    change_estate(tmp_path, lambda s: s["settings"].update(org_sharing_enabled=False))
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = preflight(findings, "ram-sharing")
    assert finding["severity"] == "error"
    assert "RAM sharing with organization o-exampleorgid1 is not enabled" in finding["message"]
    assert "OperationNotPermittedException" in finding["message"]
    assert "aws ram enable-sharing-with-aws-organization" in finding["fix"]


def test_a_region_that_does_not_offer_the_base_model(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.edit(STAGING, "    - us-east-1\n", "    - us-east-1\n    - sa-east-1\n")
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = [
        f
        for f in preflight(findings, "model-support")
        if f["region"] == "sa-east-1" and "of financial-analyst" in f["message"]
    ]
    assert finding["message"] == (
        "base model amazon.nova-pro-v1:0:300k of financial-analyst is not offered in sa-east-1 "
        "(GetFoundationModel), so financial-analyst cannot be served there"
    )
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(STAGING, "sa-east-1")


def test_a_region_without_the_declared_capacity_for_the_base_model(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nova Lite custom models: copy to us-west-2 is supported, on-demand deployment there is not.
    repo.edit(STAGING, "    - us-east-1\n", "    - us-east-1\n    - us-west-2\n")
    repo.edit(STAGING, "      version: v2\n", "      version: v2\n      regions: [us-east-1]\n")
    repo.edit(STAGING, "      version: v1\n", "      version: v1\n      regions: [us-west-2]\n")
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = preflight(findings, "model-support")
    assert finding["message"].startswith(
        "support-summarizer is built on amazon.nova-lite-v1:0:300k, which does not support on-demand "
        'deployment in us-west-2, so AWS would refuse it (supported: us-east-1; "Deploy a custom model '
        'for on-demand inference" (https://docs.aws.amazon.com/'
    )
    assert "read 2026-11-29" in finding["message"]


def test_custom_model_quota_headroom(repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    change_estate(
        tmp_path,
        lambda s: s["service_quotas"].update({f"{seed.STAGING}/us-east-1": {"L-SANDBOX-CUSTOM-MODELS": 1}}),
    )
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = preflight(findings, "quota")
    assert (finding["account"], finding["region"]) == (seed.STAGING, "us-east-1")
    assert finding["message"] == (
        f"account {seed.STAGING} would hold 2 custom models in us-east-1 (0 now + 2 copies this plan makes), "
        "over its quota of 1 (Custom models per account, L-SANDBOX-CUSTOM-MODELS)"
    )
    change_estate(
        tmp_path,
        lambda s: s["service_quotas"].update({f"{seed.STAGING}/us-east-1": {"L-SANDBOX-CUSTOM-MODELS": 2}}),
    )
    code, findings = plan_json(capsys, repo)
    assert preflight(findings, "quota") == []


def test_a_target_key_whose_policy_does_not_allow_the_role(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def lock_out(state: dict[str, Any]) -> None:
        key = state["kms"][f"{seed.PROD}/us-east-1"][seed.PROD_KEYS["us-east-1"]]
        key["policy"] = json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::777788889999:role/Admin"},
                        "Action": "kms:*",
                    }
                ]
            }
        )

    change_estate(tmp_path, lock_out)
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = preflight(findings, "kms")
    assert finding["message"] == (
        "the target key of prod/us-east-1/financial-analyst/copy is "
        f"arn:aws:kms:us-east-1:{seed.PROD}:key/{seed.PROD_KEYS['us-east-1']}, whose key policy (and grants) "
        f"do not allow arn:aws:iam::{seed.PROD}:role/BedrockGitOpsReconciler to kms:DescribeKey, "
        "kms:CreateGrant, kms:GenerateDataKey, kms:Decrypt"
    )
    assert '"Action": ["kms:DescribeKey", "kms:CreateGrant"' in finding["fix"]
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(
        PROD, f"key/{seed.PROD_KEYS['us-east-1']}", -len("arn:aws:kms:us-east-1:777788889999:")
    )

    def grant(state: dict[str, Any]) -> None:  # a grant is as good as a policy statement
        key = state["kms"][f"{seed.PROD}/us-east-1"][seed.PROD_KEYS["us-east-1"]]
        key["grants"] = [
            {
                "GrantId": "g1",
                "GranteePrincipal": f"arn:aws:iam::{seed.PROD}:role/BedrockGitOpsReconciler",
                "Operations": ["DescribeKey", "CreateGrant", "GenerateDataKey", "Decrypt"],
            }
        ]

    change_estate(tmp_path, grant)
    _, findings = plan_json(capsys, repo)
    assert preflight(findings, "kms") == []


def test_a_target_key_that_is_missing_or_disabled(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def disable(state: dict[str, Any]) -> None:
        state["kms"][f"{seed.PROD}/us-east-1"][seed.PROD_KEYS["us-east-1"]]["state"] = "PendingDeletion"

    change_estate(tmp_path, disable)
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [message] = [f["message"] for f in preflight(findings, "kms")]
    assert message.endswith(f"key/{seed.PROD_KEYS['us-east-1']}, which is PendingDeletion")

    def delete(state: dict[str, Any]) -> None:
        del state["kms"][f"{seed.PROD}/us-east-1"]

    change_estate(tmp_path, delete)
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [message] = [f["message"] for f in preflight(findings, "kms")]
    assert message.endswith(f"which does not exist in {seed.PROD} us-east-1")


def test_an_encrypted_source_model_whose_key_does_not_let_the_recipient_decrypt(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key_id = "11112222-3333-4444-5555-666677778888"
    key_arn = f"arn:aws:kms:us-east-1:{seed.DEV}:key/{key_id}"

    def encrypt(state: dict[str, Any], *statements: dict[str, Any]) -> None:
        state["bedrock"][f"{seed.DEV}/us-east-1"]["models"][seed.FINANCIAL_ANALYST_V1]["kms_key"] = key_arn
        state["kms"][f"{seed.DEV}/us-east-1"] = {key_id: {"policy": key_policy(seed.DEV, *statements)}}

    change_estate(tmp_path, encrypt)
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = preflight(findings, "kms")
    assert finding["message"] == (
        f"the key of source model financial-analyst v1 (for the copy into {seed.PROD}) is {key_arn}, whose "
        f"key policy (and grants) do not allow arn:aws:iam::{seed.PROD}:role/BedrockGitOpsReconciler to "
        "kms:Decrypt, kms:DescribeKey"
    )
    assert finding["file"] == "models/financial-analyst.yaml"
    allow_prod = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{seed.PROD}:root"},
        "Action": ["kms:Decrypt", "kms:DescribeKey"],
        "Resource": "*",
    }
    change_estate(tmp_path, lambda s: encrypt(s, allow_prod))
    _, findings = plan_json(capsys, repo)
    assert preflight(findings, "kms") == []
