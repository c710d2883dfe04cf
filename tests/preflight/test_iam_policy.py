"""`bedrock-gitops policy`: the least-privilege IAM policy per account is generated from the operations the
code calls, and covers every call a real plan + apply makes (recorded by the sandbox), account by account."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.aws.iam_policy import account_policies, allows, called_operations, module_operations
from reconciler.manifests.load import load_manifests
from reconciler.sandbox import seed
from reconciler.sandbox.estate import RECORD_ENV_VAR, SandboxEstate
from tests.examples import run_cli
from tests.policies.conftest import Repo

# Needs no IAM permission (sts:GetCallerIdentity always works).
NO_PERMISSION_NEEDED = {("sts", "GetCallerIdentity")}


def test_policy_command_prints_one_policy_per_account(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "policy", "--root", str(repo.root), "--json")
    assert code == 0
    documents = json.loads(out)
    assert sorted(documents) == sorted([seed.DEV, seed.STAGING, seed.PROD, "base"])
    assert documents[seed.PROD]["role"] == f"arn:aws:iam::{seed.PROD}:role/BedrockGitOpsReconciler"
    prod = {s["Sid"]: s for s in documents[seed.PROD]["policy"]["Statement"]}
    assert "CreatePrivateShares" not in prod  # prod owns no model
    key = f"arn:aws:kms:us-east-1:{seed.PROD}:key/{seed.PROD_KEYS['us-east-1']}"
    assert prod["UseCopyKeys"]["Resource"] == [key]
    regions = sorted(next(e.regions for e in load_manifests(repo.root).environments if e.name == "prod"))
    managed = {"aws:ResourceTag/bedrock-gitops:managed-by": "bedrock-gitops"}
    assert prod["ChangeManagedResources"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": [*sorted({*regions, "us-east-1"})], **managed}
    }
    assert prod["CreateCopies"]["Condition"]["StringEquals"]["aws:RequestTag/bedrock-gitops:managed-by"] == (
        "bedrock-gitops"
    )
    assert prod["CreateCopies"]["Condition"]["ForAllValues:StringLike"] == {
        "aws:TagKeys": ["bedrock-gitops:*"]
    }
    dev = {s["Sid"]: s for s in documents[seed.DEV]["policy"]["Statement"]}
    assert dev["CreatePrivateShares"]["Condition"]["Bool"] == {
        "ram:RequestedAllowsExternalPrincipals": "false"
    }
    assert dev["CreatePrivateShares"]["Condition"]["StringEquals"]["ram:RequestedResourceType"] == (
        "bedrock:CustomModel"
    )
    base = {s["Sid"]: s for s in documents["base"]["policy"]["Statement"]}
    assert base["ApplyLock"]["Resource"] == ["arn:aws:dynamodb:us-east-1:*:table/bedrock-gitops-locks"]
    assert "*" not in base["AssumeReconcilerRoles"]["Resource"]
    code, terraform, _ = run_cli(capsys, "policy", "--root", str(repo.root), "--format", "terraform")
    assert code == 0
    assert f'resource "aws_iam_role_policy" "bedrock_gitops_account_{seed.PROD}" {{' in terraform
    assert '  role   = "BedrockGitOpsReconciler"' in terraform
    code, template, _ = run_cli(capsys, "policy", "--root", str(repo.root), "--format", "cloudformation")
    assert code == 0
    stack = json.loads(template)[seed.PROD]["Resources"]["BedrockGitOpsPolicy"]
    assert stack["Type"] == "AWS::IAM::RolePolicy"
    assert stack["Properties"]["PolicyDocument"] == documents[seed.PROD]["policy"]
    code, text, _ = run_cli(capsys, "policy", "--root", str(repo.root))
    assert f"## {seed.PROD} (prod): attach to arn:aws:iam::{seed.PROD}:role/BedrockGitOpsReconciler" in text


def test_every_operation_in_the_code_is_granted_somewhere(repo: Repo) -> None:
    policies = account_policies(load_manifests(repo.root)).values()
    missing = [
        pair
        for pair in sorted(called_operations() - NO_PERMISSION_NEEDED)
        if not any(allows(policy, *pair) for policy in policies)
    ]
    assert missing == []
    # The scan finds what the planner emits and what discovery and preflight call.
    assert {("bedrock", "CreateModelCopyJob"), ("ram", "CreateResourceShare"), ("kms", "GetKeyPolicy")} <= (
        called_operations()
    )


def test_operation_names_are_matched_to_the_service_a_module_talks_to() -> None:
    source = 'def f(kms: "KMSClient"):\n    kms.list_grants(KeyId="k")\n    return "TagResource"\n'
    assert module_operations(source) == {("kms", "ListGrants"), ("kms", "TagResource")}


def test_the_policies_cover_every_call_of_a_plan_and_apply(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite_records = os.environ.get(RECORD_ENV_VAR)
    monkeypatch.setenv(RECORD_ENV_VAR, str(tmp_path / "records"))
    with SandboxEstate.open(tmp_path / "sandbox") as sandbox:
        sandbox.update_settings(time_scale=20000.0)
    planfile = tmp_path / "plan.json"
    assert run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root), "-out", str(planfile))[0] == 0
    code, _, err = run_cli(
        capsys, "apply", "--sandbox", "--root", str(repo.root), "--poll-seconds", "0.05", str(planfile)
    )
    assert code == 0, err
    lines = [
        line for path in (tmp_path / "records").glob("*.jsonl") for line in path.read_text().splitlines()
    ]
    if suite_records:  # the suite replays every request at the end: hand these over too
        Path(suite_records).mkdir(parents=True, exist_ok=True)
        with open(Path(suite_records) / f"requests-iam-{os.getpid()}.jsonl", "a") as stream:
            stream.writelines(line + "\n" for line in lines)
    policies = account_policies(load_manifests(repo.root))
    calls = {(r["service"], r["operation"], r["account"]) for r in map(json.loads, lines)}
    assert {("ram", "CreateResourceShare"), ("bedrock", "CreateModelCopyJob")} <= {c[:2] for c in calls}
    uncovered = sorted(
        (service, operation, account)
        for service, operation, account in calls
        if not allows(policies.get(account, policies["base"]), service, operation)
    )
    assert uncovered == []
