"""Plan cannot write, by construction: every role a plan (and import, drift, preflight) assumes is assumed
with the read-only session policy, and the sandbox enforces session policies as AWS does. The sandbox's roles
may do anything, so these tests show that the session policy, not the role, is what refuses the write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler import pipeline
from reconciler.aws.clients import AwsClients
from reconciler.aws.session_policy import (
    MAX_SESSION_POLICY_CHARACTERS,
    READ_ONLY_SESSION_POLICY,
    READ_ONLY_SESSION_POLICY_JSON,
    VERIFY_SESSION_POLICY,
    VERIFY_SESSION_POLICY_JSON,
)
from reconciler.cli import main
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.session_policies import refusal
from tests.apply.support import make_estate

DEV, PROD = "111122223333", "777788889999"
SOURCE_MODEL = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d"


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/BedrockGitOpsReconciler"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxEstate]:
    with SandboxEstate.open(tmp_path / "sandbox") as estate:
        yield estate


def create_copy(clients: AwsClients) -> dict[str, Any]:
    response: dict[str, Any] = dict(
        clients.bedrock(DEV, "us-west-2").create_model_copy_job(
            sourceModelArn=SOURCE_MODEL, targetModelName="written-by-a-plan"
        )
    )
    return response


def test_a_write_under_a_read_only_session_is_access_denied_though_the_role_could(
    sandbox: SandboxEstate,
) -> None:
    read_only = AwsClients(sandbox.session(), {DEV: role(DEV)}, session_policy=READ_ONLY_SESSION_POLICY_JSON)
    assert read_only.bedrock(DEV, "us-east-1").list_custom_models()["modelSummaries"]  # reads pass
    with pytest.raises(ClientError) as denied:
        create_copy(read_only)
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith(f"User: arn:aws:sts::{DEV}:assumed-role/BedrockGitOpsReconciler/")
    assert error["Message"].endswith(
        "is not authorized to perform: bedrock:CreateModelCopyJob because no session policy allows the "
        "bedrock:CreateModelCopyJob action"
    )
    # The same role without the session policy can write: the refusal came from the session policy.
    writer = AwsClients(sandbox.session(), {DEV: role(DEV)})
    assert create_copy(writer)["jobArn"].startswith(f"arn:aws:bedrock:us-west-2:{DEV}:model-copy-job/")


def test_plan_cannot_write_even_when_the_role_could(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A buggy or compromised plan step holding the plan's clients tries a write: AWS refuses it."""
    estate = make_estate(tmp_path)
    attempts: list[str] = []
    original = pipeline.plan_with

    def plan_then_try_to_write(manifests: Any, clients: AwsClients, **kwargs: Any) -> Any:
        result = original(manifests, clients, **kwargs)
        writes = {
            "bedrock.CreateModelCopyJob": create_copy,
            "ram.CreateResourceShare": lambda c: c.ram(DEV, "us-east-1").create_resource_share(
                name="written-by-a-plan", principals=[PROD]
            ),
        }
        for name, write in writes.items():
            try:
                write(clients)
            except ClientError as error:
                attempts.append(f"{name}: {error.response['Error']['Code']}")
            else:
                attempts.append(f"{name}: WRITTEN")
        return result

    monkeypatch.setattr(pipeline, "plan_with", plan_then_try_to_write)
    result = pipeline.make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir)
    assert result.plan.has_changes
    assert attempts == [
        "bedrock.CreateModelCopyJob: AccessDeniedException",
        "ram.CreateResourceShare: AccessDeniedException",
    ]
    state = estate.state()
    assert not state["ram"]["shares"]
    assert not any(scope["copy_jobs"] for scope in state["bedrock"].values())


def test_import_reads_through_read_only_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.aws import discovery

    estate = make_estate(tmp_path)
    monkeypatch.setenv("BEDROCK_GITOPS_SANDBOX_DIR", str(estate.sandbox_dir))
    seen: list[bool] = []
    original = discovery.discover

    def spy(clients: AwsClients, *args: Any, **kwargs: Any) -> Any:
        seen.append(clients.session_policy == READ_ONLY_SESSION_POLICY_JSON)
        return original(clients, *args, **kwargs)

    monkeypatch.setattr(discovery, "discover", spy)
    code = main(
        ["import", "--sandbox", "-e", f"dev={DEV}", "--regions", "us-east-1", "--root", str(tmp_path / "new")]
    )
    assert code == 0, capsys.readouterr().err
    assert seen == [True]


def test_the_read_only_session_policy_allows_reads_only_and_fits_assume_role() -> None:
    assert len(READ_ONLY_SESSION_POLICY_JSON) <= MAX_SESSION_POLICY_CHARACTERS
    assert json.loads(READ_ONLY_SESSION_POLICY_JSON) == READ_ONLY_SESSION_POLICY
    for action in (
        "bedrock:ListCustomModels",
        "ram:GetResourceShares",
        "kms:DescribeKey",
        "organizations:DescribeOrganization",
        "servicequotas:ListServiceQuotas",
    ):
        assert refusal(READ_ONLY_SESSION_POLICY_JSON, action) is None, action
    for action in (
        "bedrock:CreateModelCopyJob",
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:TagResource",
        "ram:CreateResourceShare",
        "ram:AcceptResourceShareInvitation",
        "kms:CreateGrant",
        "dynamodb:PutItem",
        "bedrock:InvokeModel",
    ):
        assert refusal(READ_ONLY_SESSION_POLICY_JSON, action) is not None, action


def test_session_policy_evaluation_follows_iam() -> None:
    deny = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "bedrock:Delete*", "Resource": "*"},
            ]
        }
    )
    assert refusal(deny, "bedrock:CreateModelCopyJob") is None
    assert refusal(deny, "bedrock:DeleteCustomModel") == "with an explicit deny in a session policy"
    scoped = json.dumps(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "BEDROCK:list*",
                "Resource": "arn:aws:bedrock:*:*:custom-model/*",
            }
        }
    )
    assert refusal(scoped, "bedrock:ListCustomModels") is not None  # never more than AWS would allow
    not_action = json.dumps({"Statement": [{"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"}]})
    assert refusal(not_action, "bedrock:ListCustomModels") is None
    assert refusal(not_action, "ram:CreateResourceShare") is not None


def test_the_verify_session_policy_adds_invocation_and_nothing_else() -> None:
    assert len(VERIFY_SESSION_POLICY_JSON) <= MAX_SESSION_POLICY_CHARACTERS
    assert json.loads(VERIFY_SESSION_POLICY_JSON) == VERIFY_SESSION_POLICY
    assert refusal(VERIFY_SESSION_POLICY_JSON, "bedrock:InvokeModel") is None
    assert refusal(VERIFY_SESSION_POLICY_JSON, "bedrock:GetProvisionedModelThroughput") is None
    for action in (
        "bedrock:TagResource",
        "bedrock:UpdateProvisionedModelThroughput",
        "ram:CreateResourceShare",
    ):
        assert refusal(VERIFY_SESSION_POLICY_JSON, action) is not None, action


def test_verify_invokes_through_sessions_that_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`verify` (and the drift workflow's check) converses with the capacity, but a write from its own
    clients is refused by AWS: the session policy, not our code, keeps it read-only."""
    from reconciler import verifying

    estate = make_estate(tmp_path)
    estate.settings(time_scale=0.0, copy_job_seconds=0, throughput_seconds=0, deployment_seconds=0)
    applied = estate.apply()
    assert applied.report is not None
    assert applied.report.succeeded
    attempts: list[str] = []
    original = verifying.verify_capacity

    def verify_then_try_to_tag(clients: AwsClients, *args: Any, **kwargs: Any) -> Any:
        result = original(clients, *args, **kwargs)
        verified = next(v for v in result.results if v.capacity_arn is not None)
        try:
            clients.bedrock(verified.account, verified.region).tag_resource(
                resourceARN=verified.capacity_arn, tags=[{"key": "written-by", "value": "verify"}]
            )
        except ClientError as error:
            attempts.append(error.response["Error"]["Code"])
        else:
            attempts.append("WRITTEN")
        return result

    monkeypatch.setattr(verifying, "verify_capacity", verify_then_try_to_tag)
    run = verifying.verify_estate(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir)
    assert run.results
    assert all(v.passed for v in run.results)  # Converse and InvokeModel went through
    assert attempts == ["AccessDeniedException"]
