"""End to end through real boto3 clients: the transport (hook.py) answering with bedrock.py and ram.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from reconciler.aws import listing
from reconciler.sandbox import estate
from reconciler.sandbox.api import Call
from reconciler.sandbox.ram_common import invite
from tests.sandbox.clients import client
from tests.sandbox.handler_support import DEV, STAGING, V1


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[estate.SandboxEstate]:
    with estate.SandboxEstate.open(tmp_path / "sandbox") as opened:
        opened.update_settings(time_scale=0.0)
        yield opened


def test_share_copy_and_provision_across_accounts(flow: estate.SandboxEstate) -> None:
    client(flow, "ram", DEV).create_resource_share(
        name="bedrock-gitops-financial-analyst-v1",
        resourceArns=[V1],
        principals=[STAGING],
        allowExternalPrincipals=False,
    )
    staging_east = client(flow, "bedrock", STAGING)
    shared = [m for m in listing.list_custom_models(staging_east, page_size=1) if m.owner_account == DEV]
    assert [m.arn for m in shared] == [V1]

    # Copied into staging's us-east-1 (a shared model is used through a copy, even in its own Region): the
    # Region where the support table offers provisioned throughput for Nova Pro custom models.
    job = staging_east.create_model_copy_job(
        sourceModelArn=V1,
        targetModelName="financial-analyst-v1",
        targetModelTags=[{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}],
        clientRequestToken="bgo-" + "0" * 40,
    )["jobArn"]
    [running] = listing.list_copy_jobs(staging_east)
    assert (running.arn, running.status, running.source_account) == (job, "InProgress", DEV)
    flow.advance(flow.settings()["copy_job_seconds"])
    done = staging_east.get_model_copy_job(jobArn=job)
    assert done["status"] == "Completed"

    created = staging_east.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="staging-financial-analyst", modelId=done["targetModelArn"]
    )
    flow.advance(flow.settings()["throughput_seconds"])
    throughputs = listing.list_throughputs(staging_east)
    [throughput] = [t for t in throughputs if t.name == "staging-financial-analyst"]
    assert (throughput.arn, throughput.status) == (created["provisionedModelArn"], "InService")
    assert throughput.model_arn == done["targetModelArn"]


def test_errors_reach_boto3_with_their_codes(flow: estate.SandboxEstate) -> None:
    with pytest.raises(ClientError) as caught:
        client(flow, "bedrock", STAGING, "us-west-2").create_model_copy_job(
            sourceModelArn=V1, targetModelName="financial-analyst-v1"
        )
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as caught:
        client(flow, "ram", DEV).create_resource_share(name="open", resourceArns=[V1], principals=[STAGING])
    assert caught.value.response["Error"]["Code"] == "OperationNotPermittedException"


def test_pending_invitation_through_discovery_listings(flow: estate.SandboxEstate) -> None:
    dev_ram = client(flow, "ram", DEV)
    dev_ram.create_resource_share(
        name="s", resourceArns=[V1], principals=[STAGING], allowExternalPrincipals=False
    )
    # RAM sends no invitation for a custom model (organization-only, sharing enabled): one is put in the
    # state, as for a share from before sharing was enabled.
    now = flow.now()
    with flow.store.locked(write=True) as state:
        [(share_arn, share_doc)] = state["ram"]["shares"].items()
        call = Call("ram", "CreateResourceShare", DEV, "us-east-1", {}, state, now)
        invite(call, share_arn, share_doc, STAGING)
    [share] = listing.list_owned_shares(dev_ram)
    assert (share.resource_arns, share.principals) == (frozenset({V1}), frozenset({STAGING}))
    staging_ram = client(flow, "ram", STAGING)
    [invitation] = listing.list_invitations(staging_ram)
    assert invitation.status == "PENDING"
    staging_ram.accept_resource_share_invitation(resourceShareInvitationArn=invitation.arn)
    owners = {m.owner_account for m in listing.list_custom_models(client(flow, "bedrock", STAGING))}
    assert owners == {DEV}
