"""What AWS refuses is refused twice: by the sandbox, through a real boto3 client, with AWS's error code; and
by the reconciler's plan, as a preflight error, so that `apply` stops before its first write, not half-way.

Each test probes the sandbox in a scratch estate of its own, then plans (and tries to apply) the example
repository changed so that it would need the same refused request.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox import seed
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.governance import key_policy
from tests.examples import run_cli
from tests.policies.conftest import Repo, plan_json
from tests.preflight.test_preflight_cli import change_estate, preflight
from tests.sandbox.test_simulation import client, error_code

STAGING = "environments/staging.yaml"
PROD = "environments/prod.yaml"
# A Titan Text Express custom model in dev: model copy is offered in fewer Regions than for Nova (not in
# ap-northeast-1), provisioned throughput and on-demand deployment nowhere (data/bedrock-support.json).
TITAN = "amazon.titan-text-express-v1:0:8k"
TITAN_WRITER = f"arn:aws:bedrock:us-east-1:{seed.DEV}:custom-model/{TITAN}/tw1v1q2r3s4t"
TITAN_MANIFEST = f"""apiVersion: bedrock-gitops.io/v1alpha1
kind: Model
metadata:
  name: titan-writer
spec:
  source:
    account: "{seed.DEV}"
    region: us-east-1
  versions:
    - name: v1
      modelArn: {TITAN_WRITER}
      evidence:
        approvedBy: sam.okafor
"""


def add_titan_model(state: dict[str, Any]) -> None:
    models = state["bedrock"][f"{seed.DEV}/us-east-1"]["models"]
    models[TITAN_WRITER] = seed.custom_model(
        TITAN_WRITER, "titan-writer-v1", TITAN, "2026-10-20T08:00:00+00:00", "tj1a2b3c4d5e"
    )


@contextlib.contextmanager
def probe(tmp_path: Path) -> Iterator[SandboxEstate]:
    """A scratch sandbox (the seed plus the Titan model), apart from the one the CLI plans against."""
    with SandboxEstate.open(tmp_path / "probe") as estate:
        estate.update_settings(time_scale=0.0)
        with estate.store.locked(write=True) as state:
            add_titan_model(state)
        yield estate


def copy_into(estate: SandboxEstate, source: str, account: str, region: str) -> str:
    """A Completed copy of `source` (a dev model) in `account`'s `region`: its ARN."""
    if account != seed.DEV:
        client(estate, "ram", seed.DEV).create_resource_share(
            name="probe", resourceArns=[source], principals=[account], allowExternalPrincipals=False
        )
    bedrock = client(estate, "bedrock", account, region)
    job = bedrock.create_model_copy_job(sourceModelArn=source, targetModelName="probe-copy")["jobArn"]
    estate.advance(1200)
    view = bedrock.get_model_copy_job(jobArn=job)
    assert view["status"] == "Completed"
    target: str = view["targetModelArn"]
    return target


def plan_error(repo: Repo, capsys: pytest.CaptureFixture[str], check: str) -> str:
    """Plan fails with exactly one preflight error of `check`: its message."""
    code, findings = plan_json(capsys, repo)
    assert code == 1
    errors = [f for f in preflight(findings, check) if f["severity"] == "error"]
    assert len(errors) == 1, errors
    return str(errors[0]["message"])


def apply_writes_nothing(repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path, check: str) -> None:
    """apply refuses the plan's preflight error before its first write."""
    with SandboxEstate.open(tmp_path / "sandbox") as estate:
        before = estate.state_snapshot()
    code, _, err = run_cli(capsys, "apply", "--sandbox", "--root", str(repo.root), "--auto-approve")
    assert code != 0
    assert f"preflight/{check}" in err
    with SandboxEstate.open(tmp_path / "sandbox") as estate:
        after = estate.state_snapshot()
    assert (after["bedrock"], after["ram"]) == (before["bedrock"], before["ram"])


def refused_at_plan(repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path, need: str) -> str:
    """Plan fails with one preflight model-support error about `need`; apply stops before any write. The
    error's message."""
    message = plan_error(repo, capsys, "model-support")
    assert f"does not support {need}" in message
    assert "so AWS would refuse it" in message
    assert "read 2026-11-29" in message
    apply_writes_nothing(repo, capsys, tmp_path, "model-support")
    return message


def serve_titan_writer(repo: Repo, tmp_path: Path, region: str, capacity: str) -> None:
    (repo.root / "models" / "titan-writer.yaml").write_text(TITAN_MANIFEST)
    if region != "us-east-1":
        repo.edit(STAGING, "    - us-east-1\n", f"    - us-east-1\n    - {region}\n")
        repo.edit(STAGING, "      version: v2\n", "      version: v2\n      regions: [us-east-1]\n")
        repo.edit(STAGING, "      version: v1\n", "      version: v1\n      regions: [us-east-1]\n")
    lines = ["    - name: titan-writer", "      version: v1"]
    if region != "us-east-1":
        lines.append(f"      regions: [{region}]")
    lines += ["      capacity:", f"        type: {capacity}"]
    text = (repo.root / STAGING).read_text().rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    (repo.root / STAGING).write_text(text)
    change_estate(tmp_path, add_titan_model)


# -- 2. model copy where the base model cannot be copied ----------------------------------------------------


def test_a_copy_into_a_region_the_base_model_cannot_be_copied_to(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with probe(tmp_path) as estate:
        bedrock = client(estate, "bedrock", seed.DEV, "ap-northeast-1")
        with pytest.raises(ClientError) as caught:
            bedrock.create_model_copy_job(sourceModelArn=TITAN_WRITER, targetModelName="titan-writer-v1")
        assert error_code(caught) == "ValidationException"
        assert "Model copy isn't supported" in caught.value.response["Error"]["Message"]
        assert bedrock.list_model_copy_jobs()["modelCopyJobSummaries"] == []
        # eu-west-1 is in Titan Text Express's row: the same copy is accepted there.
        copy_into(estate, TITAN_WRITER, seed.DEV, "eu-west-1")
    serve_titan_writer(repo, tmp_path, "ap-northeast-1", "none")
    message = refused_at_plan(repo, capsys, tmp_path, "model copy")
    assert message.startswith(f"titan-writer is built on {TITAN}, which does not support model copy in ")


# -- 4. provisioned throughput where the base model and Region do not offer it ------------------------------


def test_provisioned_throughput_where_the_base_model_does_not_offer_it(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with probe(tmp_path) as estate:
        # The Nova Lite copy in us-west-2: copied fine, but its provisioned throughput is us-east-1 only.
        nova_copy = copy_into(estate, seed.SUPPORT_SUMMARIZER_V1, seed.STAGING, "us-west-2")
        bedrock = client(estate, "bedrock", seed.STAGING, "us-west-2")
        with pytest.raises(ClientError) as caught:
            bedrock.create_provisioned_model_throughput(
                modelUnits=1, provisionedModelName="ss-west", modelId=nova_copy
            )
        assert error_code(caught) == "ValidationException"
        assert "Provisioned throughput isn't supported" in caught.value.response["Error"]["Message"]
        # A Titan Text Express model: no provisioned throughput anywhere, even where it lives.
        with pytest.raises(ClientError) as caught:
            client(estate, "bedrock", seed.DEV).create_provisioned_model_throughput(
                modelUnits=1, provisionedModelName="titan", modelId=TITAN_WRITER
            )
        assert error_code(caught) == "ValidationException"
        assert bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"] == []
    repo.edit(STAGING, "    - us-east-1\n", "    - us-east-1\n    - us-west-2\n")
    repo.edit(STAGING, "      version: v2\n", "      version: v2\n      regions: [us-east-1]\n")
    repo.edit(STAGING, "      version: v1\n", "      version: v1\n      regions: [us-west-2]\n")
    repo.edit(STAGING, "        type: on-demand\n", "        type: provisioned\n        modelUnits: 1\n")
    message = refused_at_plan(repo, capsys, tmp_path, "provisioned throughput")
    assert message.startswith(
        "support-summarizer is built on amazon.nova-lite-v1:0:300k, which does not support provisioned "
        "throughput in us-west-2"
    )


# -- 5. on-demand deployment for a model family or Region that does not support it -------------------------


def test_on_demand_deployment_of_a_family_or_region_that_does_not_support_it(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with probe(tmp_path) as estate:
        dev = client(estate, "bedrock", seed.DEV)
        with pytest.raises(ClientError) as caught:
            dev.create_custom_model_deployment(modelDeploymentName="titan", modelArn=TITAN_WRITER)
        assert error_code(caught) == "ValidationException"
        assert "On-demand deployment isn't supported" in caught.value.response["Error"]["Message"]
        nova_copy = copy_into(estate, seed.SUPPORT_SUMMARIZER_V1, seed.STAGING, "us-west-2")
        west = client(estate, "bedrock", seed.STAGING, "us-west-2")
        with pytest.raises(ClientError) as caught:
            west.create_custom_model_deployment(modelDeploymentName="ss-west", modelArn=nova_copy)
        assert error_code(caught) == "ValidationException"
        assert west.list_custom_model_deployments()["modelDeploymentSummaries"] == []
        # Nova in us-east-1 is what the page lists: accepted.
        dev.create_custom_model_deployment(modelDeploymentName="ss", modelArn=seed.SUPPORT_SUMMARIZER_V1)
    serve_titan_writer(repo, tmp_path, "us-east-1", "on-demand")
    message = refused_at_plan(repo, capsys, tmp_path, "on-demand deployment")
    assert message.startswith(
        f"titan-writer is built on {TITAN}, which does not support on-demand deployment in us-east-1"
    )


# -- 3. a model copy's KMS key that does not exist, is disabled, is in another Region, or is not usable ------

PROD_KEY_ID = seed.PROD_KEYS["us-east-1"]
PROD_KEY = f"arn:aws:kms:us-east-1:{seed.PROD}:key/{PROD_KEY_ID}"
WEST_KEY = f"arn:aws:kms:us-west-2:{seed.PROD}:key/{seed.PROD_KEYS['us-west-2']}"
MISSING_KEY = f"arn:aws:kms:us-east-1:{seed.PROD}:key/00000000-1111-4222-8333-444455556666"


def test_a_copy_with_a_kms_key_the_copy_cannot_use(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with probe(tmp_path) as estate:
        client(estate, "ram", seed.DEV).create_resource_share(
            name="probe",
            resourceArns=[seed.FINANCIAL_ANALYST_V1],
            principals=[seed.PROD],
            allowExternalPrincipals=False,
        )
        kms = client(estate, "kms", seed.PROD)
        disabled_key = kms.create_key(Description="disabled")["KeyMetadata"]
        kms.disable_key(KeyId=disabled_key["KeyId"])  # moto's DisableKey takes a key id, not an ARN
        disabled = disabled_key["Arn"]
        admins_only = kms.create_key(
            Description="admins only",
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{seed.PROD}:role/Admin"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )["KeyMetadata"]["Arn"]
        bedrock = client(estate, "bedrock", seed.PROD)

        def refused(key: str) -> tuple[str, str]:
            with pytest.raises(ClientError) as caught:
                bedrock.create_model_copy_job(
                    sourceModelArn=seed.FINANCIAL_ANALYST_V1, targetModelName="fa-v1", modelKmsKeyId=key
                )
            return error_code(caught), str(caught.value.response["Error"]["Message"])

        assert refused(MISSING_KEY) == ("ValidationException", f"The KMS key {MISSING_KEY} does not exist.")
        code, message = refused(disabled)
        assert (code, message.endswith("is Disabled: only an Enabled key can encrypt a model copy.")) == (
            "ValidationException",
            True,
        )
        code, message = refused(WEST_KEY)
        assert (code, "is in us-west-2" in message) == ("ValidationException", True)
        code, message = refused(admins_only)
        assert code == "AccessDeniedException"
        assert "BedrockGitOpsReconciler is not authorized to use the KMS key" in message
        assert "kms:DescribeKey, kms:CreateGrant, kms:GenerateDataKey, kms:Decrypt" in message
        assert bedrock.list_model_copy_jobs()["modelCopyJobSummaries"] == []
        # The seed's key, whose policy lets the role use it: accepted.
        bedrock.create_model_copy_job(
            sourceModelArn=seed.FINANCIAL_ANALYST_V1, targetModelName="fa-v1", modelKmsKeyId=PROD_KEY
        )

    # Another Region's key is refused before the plan even reads AWS: the manifests' own checks.
    repo.edit(PROD, PROD_KEY, WEST_KEY)
    exit_code, _, err = run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root))
    assert exit_code != 0
    assert "the KMS key for us-east-1 is in Region us-west-2" in err
    repo.edit(PROD, WEST_KEY, MISSING_KEY)
    assert plan_error(repo, capsys, "kms").endswith(f"which does not exist in {seed.PROD} us-east-1")
    apply_writes_nothing(repo, capsys, tmp_path, "kms")
    repo.edit(PROD, MISSING_KEY, PROD_KEY)
    change_estate(
        tmp_path, lambda s: s["kms"][f"{seed.PROD}/us-east-1"][PROD_KEY_ID].update(state="Disabled")
    )
    assert plan_error(repo, capsys, "kms").endswith(f"{PROD_KEY}, which is Disabled")

    def admins_only_policy(state: dict[str, Any]) -> None:
        key = state["kms"][f"{seed.PROD}/us-east-1"][PROD_KEY_ID]
        key.update(state="Enabled", policy=key_policy("111111111111"))

    change_estate(tmp_path, admins_only_policy)
    assert "whose key policy (and grants) do not allow" in plan_error(repo, capsys, "kms")


# -- 1. sharing a custom model while RAM sharing with the organization is not enabled ------------------------


def test_sharing_a_custom_model_without_organization_sharing(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with probe(tmp_path) as estate:
        estate.update_settings(org_sharing_enabled=False)
        ram = client(estate, "ram", seed.DEV)
        with pytest.raises(ClientError) as caught:
            ram.create_resource_share(
                name="s",
                resourceArns=[seed.FINANCIAL_ANALYST_V1],
                principals=[seed.STAGING],  # a member of the organization
                allowExternalPrincipals=False,
            )
        assert error_code(caught) == "OperationNotPermittedException"
        assert "can only be shared within your AWS Organization" in caught.value.response["Error"]["Message"]
        assert ram.get_resource_shares(resourceOwner="SELF")["resourceShares"] == []
        assert (
            client(estate, "ram", seed.STAGING).get_resource_share_invitations()["resourceShareInvitations"]
            == []
        )
        # The management account enables it: the same share is accepted, with no invitation.
        client(estate, "ram", seed.MANAGEMENT).enable_sharing_with_aws_organization()
        ram.create_resource_share(
            name="s",
            resourceArns=[seed.FINANCIAL_ANALYST_V1],
            principals=[seed.STAGING],
            allowExternalPrincipals=False,
        )
        shared = client(estate, "bedrock", seed.STAGING).list_custom_models(isOwned=False)["modelSummaries"]
        assert [m["modelArn"] for m in shared] == [seed.FINANCIAL_ANALYST_V1]
    change_estate(tmp_path, lambda s: s["settings"].update(org_sharing_enabled=False))
    message = plan_error(repo, capsys, "ram-sharing")
    assert message.startswith("RAM sharing with organization o-exampleorgid1 is not enabled, so RAM refuses")
    apply_writes_nothing(repo, capsys, tmp_path, "ram-sharing")
