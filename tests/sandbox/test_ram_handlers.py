"""The simulated RAM operations, called directly on a fresh seed (see handler_support.World)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reconciler.sandbox import ram
from tests.sandbox.handler_support import DEV, MANAGEMENT, NOVA, PROD, STAGING, V1, V2, World

EXTERNAL = "999988887777"
SHARE_ARN = re.compile(r"arn:aws:ram:us-east-1:111122223333:resource-share/[0-9a-f-]{36}")


@pytest.fixture
def world() -> World:
    return World()


def shares(
    world: World, account: str, owner: str = "SELF", region: str = "us-east-1", **filters: Any
) -> list[str]:
    result = world.ram("GetResourceShares", account, region, resourceOwner=owner, **filters)
    return [share["resourceShareArn"] for share in result["resourceShares"]]


def associations(world: World, kind: str, **filters: Any) -> list[tuple[str, str]]:
    result = world.ram("GetResourceShareAssociations", DEV, associationType=kind, **filters)
    return [(a["associatedEntity"], a["status"]) for a in result["resourceShareAssociations"]]


def invitations(world: World, account: str, region: str = "us-east-1") -> list[dict[str, object]]:
    result: list[dict[str, object]] = world.ram("GetResourceShareInvitations", account, region)[
        "resourceShareInvitations"
    ]
    return result


def test_share_inside_the_organization_is_accepted_at_once(world: World) -> None:
    created = world.ram(
        "CreateResourceShare",
        DEV,
        name="bedrock-gitops-financial-analyst-v1",
        resourceArns=[V1],
        principals=[STAGING, PROD],
        allowExternalPrincipals=False,
        tags=[{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}],
    )["resourceShare"]
    arn = created["resourceShareArn"]
    assert SHARE_ARN.fullmatch(arn)
    assert (created["status"], created["owningAccountId"], created["allowExternalPrincipals"]) == (
        "ACTIVE",
        DEV,
        False,
    )
    assert associations(world, "PRINCIPAL") == [(STAGING, "ASSOCIATED"), (PROD, "ASSOCIATED")]
    assert associations(world, "RESOURCE") == [(V1, "ASSOCIATED")]
    assert invitations(world, STAGING) == []
    assert shares(world, DEV) == [arn]
    assert shares(world, STAGING, "OTHER-ACCOUNTS") == [arn]
    assert shares(world, STAGING) == []
    assert shares(world, DEV, "OTHER-ACCOUNTS") == []
    assert shares(world, STAGING, "OTHER-ACCOUNTS", "us-west-2") == []
    listed = world.ram("ListResources", STAGING, resourceOwner="OTHER-ACCOUNTS")["resources"]
    assert [(r["arn"], r["type"], r["resourceShareArn"]) for r in listed] == [
        (V1, "bedrock:CustomModel", arn)
    ]
    owned = world.ram("ListResources", DEV, resourceOwner="SELF", principal=PROD)["resources"]
    assert [r["arn"] for r in owned] == [V1]
    assert world.model_names(STAGING) == world.model_names(PROD) == ["financial-analyst-v1"]
    assert ram.shared_model_arns(world.state, STAGING, "us-east-1") == {V1}


def test_custom_models_are_shared_only_inside_the_organization(world: World) -> None:
    def refused(**params: Any) -> str:
        arguments = {"name": "s", "resourceArns": [V1], "principals": [STAGING], **params}
        return world.fails("ram", "CreateResourceShare", DEV, **arguments).code

    # allowExternalPrincipals defaults to true in the API, which a custom model does not allow.
    assert refused() == "OperationNotPermittedException"
    assert refused(allowExternalPrincipals=True) == "OperationNotPermittedException"
    assert refused(allowExternalPrincipals=False, principals=[EXTERNAL]) == "OperationNotPermittedException"
    assert refused(allowExternalPrincipals=False, principals=[DEV]) == "InvalidParameterException"
    share = world.share(V1)
    error = world.fails("ram", "AssociateResourceShare", DEV, resourceShareArn=share, principals=[EXTERNAL])
    assert error.code == "OperationNotPermittedException"


def test_only_the_owner_shares_an_existing_model_of_the_shares_region(world: World) -> None:
    def refused(account: str, region: str, resource: str) -> str:
        params = {
            "name": "s",
            "resourceArns": [resource],
            "principals": [PROD],
            "allowExternalPrincipals": False,
        }
        return world.fails("ram", "CreateResourceShare", account, region, **params).code

    missing = V1.replace("fa1v1a2b3c4d", "zzzzzzzzzzzz")
    assert refused(DEV, "us-east-1", missing) == "UnknownResourceException"
    assert refused(DEV, "us-west-2", V1) == "UnknownResourceException"  # the model is in us-east-1
    assert refused(DEV, "us-east-1", "not-an-arn") == "MalformedArnException"
    world.share(V1)
    assert (
        refused(STAGING, "us-east-1", V1) == "OperationNotPermittedException"
    )  # shared with it, not its own


def test_without_organization_sharing_a_custom_model_cannot_be_shared(world: World) -> None:
    world.state["settings"]["org_sharing_enabled"] = False
    error = world.fails(
        "ram",
        "CreateResourceShare",
        DEV,
        name="s",
        resourceArns=[V1],
        principals=[STAGING],
        allowExternalPrincipals=False,
    )
    assert error.code == "OperationNotPermittedException"
    assert "can only be shared within your AWS Organization" in error.message
    # A share without principals is no sharing yet; adding one is refused the same way.
    share = world.ram("CreateResourceShare", DEV, name="s", resourceArns=[V1], allowExternalPrincipals=False)[
        "resourceShare"
    ]["resourceShareArn"]
    error = world.fails("ram", "AssociateResourceShare", DEV, resourceShareArn=share, principals=[STAGING])
    assert error.code == "OperationNotPermittedException"


def test_pending_invitation_until_the_recipient_accepts(world: World) -> None:
    share = world.share_by_invitation(V1)
    assert associations(world, "PRINCIPAL") == [(STAGING, "ASSOCIATING")]
    [invitation] = invitations(world, STAGING)
    assert invitation["status"] == "PENDING"
    assert invitation["senderAccountId"] == DEV
    assert invitation["resourceShareArn"] == share
    assert invitations(world, STAGING, "us-west-2") == []
    assert invitations(world, PROD) == []
    assert world.model_names(STAGING) == []
    assert shares(world, STAGING, "OTHER-ACCOUNTS") == []
    arn = str(invitation["resourceShareInvitationArn"])
    error = world.fails("ram", "AcceptResourceShareInvitation", PROD, resourceShareInvitationArn=arn)
    assert error.code == "ResourceShareInvitationArnNotFoundException"

    accepted = world.ram(
        "AcceptResourceShareInvitation", STAGING, resourceShareInvitationArn=arn, clientToken="c1"
    )
    assert accepted["resourceShareInvitation"]["status"] == "ACCEPTED"
    assert accepted["clientToken"] == "c1"
    assert associations(world, "PRINCIPAL") == [(STAGING, "ASSOCIATED")]
    assert world.model_names(STAGING) == ["financial-analyst-v1"]
    error = world.fails("ram", "AcceptResourceShareInvitation", STAGING, resourceShareInvitationArn=arn)
    assert error.code == "ResourceShareInvitationAlreadyAcceptedException"


def test_rejected_invitation_leaves_the_model_unshared(world: World) -> None:
    world.share_by_invitation(V1)
    arn = str(invitations(world, STAGING)[0]["resourceShareInvitationArn"])
    rejected = world.ram("RejectResourceShareInvitation", STAGING, resourceShareInvitationArn=arn)
    assert rejected["resourceShareInvitation"]["status"] == "REJECTED"
    assert associations(world, "PRINCIPAL") == [(STAGING, "DISASSOCIATED")]
    assert world.model_names(STAGING) == []
    error = world.fails("ram", "AcceptResourceShareInvitation", STAGING, resourceShareInvitationArn=arn)
    assert error.code == "ResourceShareInvitationAlreadyRejectedException"


def test_enabling_organization_sharing_is_for_the_management_account(world: World) -> None:
    world.state["settings"]["org_sharing_enabled"] = False
    error = world.fails("ram", "EnableSharingWithAwsOrganization", DEV)
    assert error.code == "OperationNotPermittedException"
    assert (
        world.fails(
            "ram",
            "CreateResourceShare",
            DEV,
            name="s",
            resourceArns=[V1],
            principals=[STAGING],
            allowExternalPrincipals=False,
        ).code
        == "OperationNotPermittedException"
    )
    assert world.ram("EnableSharingWithAwsOrganization", MANAGEMENT) == {"returnValue": True}
    world.share(V1)
    assert associations(world, "PRINCIPAL") == [(STAGING, "ASSOCIATED")]


def test_disassociating_hides_the_model_and_associating_brings_it_back(world: World) -> None:
    share = world.share(V1, tags=[{"key": "k", "value": "v"}])
    out = world.ram("DisassociateResourceShare", DEV, resourceShareArn=share, principals=[STAGING])
    assert [(a["associatedEntity"], a["status"]) for a in out["resourceShareAssociations"]] == [
        (STAGING, "DISASSOCIATED")
    ]
    assert world.model_names(STAGING) == []
    assert associations(world, "PRINCIPAL", associationStatus="ASSOCIATED") == []
    world.ram("AssociateResourceShare", DEV, resourceShareArn=share, principals=[STAGING], resourceArns=[V2])
    assert world.model_names(STAGING) == ["financial-analyst-v2", "financial-analyst-v1"]
    world.ram("DisassociateResourceShare", DEV, resourceShareArn=share, resourceArns=[V1])
    assert world.model_names(STAGING) == ["financial-analyst-v2"]
    assert associations(world, "RESOURCE", resourceArn=V1) == [(V1, "DISASSOCIATED")]
    error = world.fails("ram", "DisassociateResourceShare", DEV, resourceShareArn=share, resourceArns=[NOVA])
    assert error.code == "UnknownResourceException"
    error = world.fails(
        "ram", "GetResourceShareAssociations", DEV, associationType="PRINCIPAL", resourceArn=V1
    )
    assert error.code == "InvalidParameterException"


def test_deleted_share_no_longer_shares(world: World) -> None:
    share = world.share(V1)
    error = world.fails("ram", "DeleteResourceShare", STAGING, resourceShareArn=share)
    assert error.code == "OperationNotPermittedException"
    assert world.ram("DeleteResourceShare", DEV, resourceShareArn=share, clientToken="d1") == {
        "returnValue": True,
        "clientToken": "d1",
    }
    assert world.model_names(STAGING) == []
    assert shares(world, STAGING, "OTHER-ACCOUNTS") == []
    assert shares(world, DEV, resourceShareStatus="DELETED") == [share]
    assert shares(world, DEV, resourceShareStatus="ACTIVE") == []
    error = world.fails("ram", "AssociateResourceShare", DEV, resourceShareArn=share, principals=[PROD])
    assert error.code == "InvalidStateTransitionException"
    assert ram.resource_counts(world.state) == {}


def test_create_resource_share_is_idempotent_on_its_client_token(world: World) -> None:
    first = world.share(V1, clientToken="bgo-abc")
    assert world.share(V1, clientToken="bgo-abc") == first
    assert len(world.state["ram"]["shares"]) == 1
    error = world.fails(
        "ram",
        "CreateResourceShare",
        DEV,
        name="other",
        resourceArns=[V1],
        principals=[STAGING],
        allowExternalPrincipals=False,
        clientToken="bgo-abc",
    )
    assert error.code == "IdempotentParameterMismatchException"


def test_share_tags(world: World) -> None:
    share = world.share(V1, tags=[{"key": "a", "value": "1"}])
    world.ram("TagResource", DEV, resourceShareArn=share, tags=[{"key": "b", "value": "2"}])
    world.ram("UntagResource", DEV, resourceShareArn=share, tagKeys=["a"])
    [view] = world.ram("GetResourceShares", DEV, resourceOwner="SELF")["resourceShares"]
    assert view["tags"] == [{"key": "b", "value": "2"}]
    assert shares(world, DEV, tagFilters=[{"tagKey": "b", "tagValues": ["2"]}]) == [share]
    assert shares(world, DEV, tagFilters=[{"tagKey": "b", "tagValues": ["3"]}]) == []
    assert shares(world, DEV, tagFilters=[{"tagKey": "a"}]) == []
    error = world.fails(
        "ram", "TagResource", STAGING, resourceShareArn=share, tags=[{"key": "c", "value": "3"}]
    )
    assert error.code == "OperationNotPermittedException"
    permission = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionBedrockCustomModel"
    error = world.fails("ram", "TagResource", DEV, resourceArn=permission, tags=[{"key": "c", "value": "3"}])
    assert error.code == "ResourceArnNotFoundException"
    many = [{"key": f"k{i}", "value": "v"} for i in range(50)]
    assert (
        world.fails("ram", "TagResource", DEV, resourceShareArn=share, tags=many).code
        == "TagLimitExceededException"
    )


def test_listings_paginate(world: World) -> None:
    made = [world.share(model, name=f"s{i}") for i, model in enumerate([V1, V2, NOVA])]
    first = world.ram("GetResourceShares", DEV, resourceOwner="SELF", maxResults=2)
    rest = world.ram(
        "GetResourceShares", DEV, resourceOwner="SELF", maxResults=2, nextToken=first["nextToken"]
    )
    listed = [s["resourceShareArn"] for s in first["resourceShares"] + rest["resourceShares"]]
    assert sorted(listed) == sorted(made)
    assert "nextToken" not in rest
    page = world.ram("ListResources", STAGING, resourceOwner="OTHER-ACCOUNTS", maxResults=1)
    assert len(page["resources"]) == 1
    assert page["nextToken"]
    page = world.ram("GetResourceShareAssociations", DEV, associationType="RESOURCE", maxResults=2)
    assert len(page["resourceShareAssociations"]) == 2
    assert page["nextToken"]
    error = world.fails("ram", "GetResourceShares", DEV, resourceOwner="SELF", nextToken="garbage")
    assert error.code == "InvalidNextTokenException"


def test_resource_counts_and_reproducible_arns(world: World) -> None:
    share = world.share_by_invitation(V1)
    assert ram.resource_counts(world.state) == {
        f"{DEV}/us-east-1": {"shares": 1, "pending_invitations": 0},
        f"{STAGING}/us-east-1": {"shares": 0, "pending_invitations": 1},
    }
    other = World()
    assert other.share_by_invitation(V1) == share
    assert invitations(other, STAGING) == invitations(world, STAGING)


def test_principal_associations_are_listed_page_by_page_each_once_with_external_marked() -> None:
    """Only the page's associations are built (a share with thousands of principals is listed over many
    pages); every principal still comes exactly once, and `external` says who is outside the organization."""
    from datetime import UTC, datetime

    from reconciler.sandbox import ram
    from reconciler.sandbox.api import Call

    owner, members = "200000000000", [f"{200000000001 + i:012d}" for i in range(5)]
    outsiders = ["300000000001", "300000000002"]
    share = {
        "owner": owner,
        "region": "us-east-1",
        "name": "bedrock-gitops-model-v1",
        "status": "ACTIVE",
        "created": "2026-01-01T00:00:00+00:00",
        "updated": "2026-01-01T00:00:00+00:00",
        "principals": dict.fromkeys([*members, *outsiders], "ASSOCIATED"),
        "resources": {},
    }
    arn = f"arn:aws:ram:us-east-1:{owner}:resource-share/00000000-0000-0000-0000-000000000001"
    state = {
        "ram": {"shares": {arn: share}, "invitations": {}},
        "organization": {"accounts": [owner, *members]},
    }
    params: dict[str, object] = {"associationType": "PRINCIPAL", "maxResults": 3}
    listed: list[dict[str, object]] = []
    while True:
        call = Call(
            "ram",
            "GetResourceShareAssociations",
            owner,
            "us-east-1",
            dict(params),
            state,
            datetime.now(UTC),
            True,
        )
        page = ram.get_resource_share_associations(call)
        assert len(page["resourceShareAssociations"]) <= 3
        listed += page["resourceShareAssociations"]
        if "nextToken" not in page:
            break
        params["nextToken"] = page["nextToken"]
    assert sorted(str(a["associatedEntity"]) for a in listed) == sorted([*members, *outsiders])
    assert {str(a["associatedEntity"]) for a in listed if a["external"]} == set(outsiders)
