"""Time and fault behaviour of the sandbox, through real boto3 clients: RAM invitations expire, a provisioned
throughput can end Failed, and throttling is per account and Region across processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler.sandbox.api import Call
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.ram_common import invite
from tests.sandbox.clients import client
from tests.sandbox.test_simulation import DEV, STAGING, V1, copied, error_code

# Without botocore's retries: the test sees every ThrottlingException.
UNRETRIED = Config(retries={"max_attempts": 1, "mode": "standard"})


def test_a_pending_invitation_expires_after_twelve_hours(sandbox: SandboxEstate) -> None:
    ram = client(sandbox, "ram", DEV)
    share_arn = ram.create_resource_share(
        name="s", resourceArns=[V1], principals=[STAGING], allowExternalPrincipals=False
    )["resourceShare"]["resourceShareArn"]
    # RAM sends no invitation for a custom model in an organization with sharing enabled: one is put in the
    # state, as for a share from before sharing was enabled.
    now = sandbox.now()
    with sandbox.store.locked(write=True) as state:
        share = state["ram"]["shares"][share_arn]
        invite(
            Call("ram", "CreateResourceShare", DEV, "us-east-1", {}, state, now), share_arn, share, STAGING
        )
    staging = client(sandbox, "ram", STAGING)
    [invitation] = staging.get_resource_share_invitations()["resourceShareInvitations"]
    sandbox.advance(12 * 3600 - 1)
    assert staging.get_resource_share_invitations()["resourceShareInvitations"][0]["status"] == "PENDING"
    sandbox.advance(1)
    assert staging.get_resource_share_invitations()["resourceShareInvitations"][0]["status"] == "EXPIRED"
    with pytest.raises(ClientError) as caught:
        staging.accept_resource_share_invitation(
            resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
        )
    assert error_code(caught) == "ResourceShareInvitationExpiredException"
    principals = ram.get_resource_share_associations(associationType="PRINCIPAL")["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"]) for a in principals] == [(STAGING, "DISASSOCIATED")]
    assert client(sandbox, "bedrock", STAGING).list_custom_models(isOwned=False)["modelSummaries"] == []


def test_a_provisioned_throughput_can_end_failed(sandbox: SandboxEstate) -> None:
    model = copied(sandbox)
    sandbox.update_settings(failing_throughput_targets=[f"{STAGING}/us-east-1"])
    bedrock = client(sandbox, "bedrock", STAGING)
    arn = bedrock.create_provisioned_model_throughput(modelUnits=1, provisionedModelName="fa", modelId=model)[
        "provisionedModelArn"
    ]
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"] == "Creating"
    sandbox.advance(600)
    failed = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert (failed["status"], "could not be created" in failed["failureMessage"]) == ("Failed", True)
    # Elsewhere (another account-Region) capacity still comes up.
    sandbox.update_settings(failing_throughput_targets=[])
    other = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="fa2", modelId=model
    )["provisionedModelArn"]
    sandbox.advance(600)
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=other)["status"] == "InService"


def throttled(bedrock: Any) -> bool:
    try:
        bedrock.list_custom_models()
    except ClientError as error:
        if error.response["Error"]["Code"] != "ThrottlingException":
            raise
        return True
    return False


def test_throttling_is_per_account_and_region_across_processes(sandbox_dir: Path) -> None:
    # One request per 1,000 seconds: the first request of an account-Region goes, the next is throttled
    # whatever the machine's speed.
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.update_settings(throttle_requests_per_second=0.001)
        dev_east = client(estate, "bedrock", DEV, "us-east-1", UNRETRIED)
        assert not throttled(dev_east)
        assert throttled(dev_east)
        assert not throttled(client(estate, "bedrock", DEV, "us-west-2", UNRETRIED))  # its own quota
        assert not throttled(client(estate, "bedrock", STAGING, "us-east-1", UNRETRIED))
    # Another opening of the sandbox (another CLI run) draws from the same buckets.
    with SandboxEstate.open(sandbox_dir) as estate:
        assert throttled(client(estate, "bedrock", DEV, "us-east-1", UNRETRIED))
        estate.update_settings(throttle_requests_per_second=0.0)
        assert not throttled(client(estate, "bedrock", DEV, "us-east-1", UNRETRIED))
