"""What AWS refuses is refused twice: by the sandbox, through a real boto3 client, with AWS's error code; and
by the reconciler's plan, as a preflight error, so that `apply` stops before its first write, not half-way.

Each test probes the sandbox in a scratch estate of its own, then plans (and tries to apply) the example
repository changed so that it would need the same refused request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox import seed
from reconciler.sandbox.estate import SandboxEstate
from tests.policies.conftest import Repo, plan_json, run
from tests.preflight.test_preflight_cli import change_estate, preflight
from tests.sandbox.test_simulation import client, error_code

STAGING = "environments/staging.yaml"
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


def refused_at_plan(repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path, need: str) -> str:
    """Plan fails with one preflight model-support error about `need`; apply stops before any write. The
    error's message."""
    code, findings = plan_json(capsys, repo)
    assert code == 1
    errors = [f for f in preflight(findings, "model-support") if f["severity"] == "error"]
    assert len(errors) == 1, errors
    message = str(errors[0]["message"])
    assert f"does not support {need}" in message
    assert "so AWS would refuse it" in message
    assert "read 2026-11-29" in message
    with SandboxEstate.open(tmp_path / "sandbox") as estate:
        before = estate.state_snapshot()
    code, _, err = run(capsys, "apply", "--sandbox", "--root", str(repo.root), "--auto-approve")
    assert code != 0
    assert "model-support" in err
    with SandboxEstate.open(tmp_path / "sandbox") as estate:
        after = estate.state_snapshot()
    assert (after["bedrock"], after["ram"]) == (before["bedrock"], before["ram"])  # nothing written
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
