"""AWS RAM simulation internals: state access, errors, paging, views and the checks every share operation
makes. The state layout is documented in ram.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, SimulatedError, next_sequence
from reconciler.sandbox.bedrock_common import decode_token, encode_token, find_model, iso, when

# Any fixed namespace: share and invitation ids only have to be the same in every run.
_UUID_NAMESPACE = uuid.UUID("0b6f0d0e-52f4-4c1e-9a55-1d7c3c6f2a10")
CUSTOM_MODEL_TYPE = "bedrock:CustomModel"
MAX_TAGS_PER_SHARE = 50
DEFAULT_PAGE_SIZE = 500
LIVE_STATUSES = ("ASSOCIATED", "ASSOCIATING")


def error(code: str, message: str) -> SimulatedError:
    return SimulatedError(code, message, 400)  # every RAM error is an HTTP 400


def ram_state(state: dict[str, Any]) -> dict[str, Any]:
    ram: dict[str, Any] = state.setdefault("ram", {})
    ram.setdefault("shares", {})
    ram.setdefault("invitations", {})
    return ram


def organization(state: dict[str, Any]) -> set[str]:
    return set(state.get("organization", {}).get("accounts", []))


def auto_accepts(state: dict[str, Any]) -> bool:
    return bool(state.get("settings", {}).get("org_sharing_enabled", True)) or bool(
        ram_state(state).get("organization_sharing_enabled")
    )


def new_arn(call: Call, kind: str) -> str:
    identifier = uuid.uuid5(_UUID_NAMESPACE, f"{kind}/{next_sequence(call.state)}")
    return f"arn:aws:ram:{call.region}:{call.account}:{kind}/{identifier}"


def page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    start = decode_token(params.get("nextToken"))
    if start is None:
        raise error("InvalidNextTokenException", "The specified value for NextToken is not valid.")
    end = start + int(params.get("maxResults") or DEFAULT_PAGE_SIZE)
    return items[start:end], ({"nextToken": encode_token(end)} if end < len(items) else {})


def check_arns(values: Iterable[str]) -> None:
    for value in values:
        if arns.parse_arn(value) is None:
            raise error("MalformedArnException", f"The format of the ARN {value} is not valid.")


def echo_token(call: Call) -> dict[str, str]:
    token = call.params.get("clientToken")
    return {"clientToken": token} if token else {}


# -- views --------------------------------------------------------------------------------------------------


def share_view(arn: str, share: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceShareArn": arn,
        "name": share["name"],
        "owningAccountId": share["owner"],
        "allowExternalPrincipals": share["allow_external"],
        "status": share["status"],
        "tags": [{"key": key, "value": value} for key, value in sorted(share["tags"].items())],
        "creationTime": when(share["created"]),
        "lastUpdatedTime": when(share["updated"]),
        "featureSet": "STANDARD",
    }


def association(
    call: Call,
    arn: str,
    share: dict[str, Any],
    entity: str,
    kind: str,
    status: str,
    members: set[str] | None = None,
) -> dict[str, Any]:
    """One association as RAM lists it; `members`: the organization's accounts, when the caller already
    has them (a listing of thousands of principals builds that set once, not once per principal)."""
    members = organization(call.state) if members is None else members
    return {
        "resourceShareArn": arn,
        "resourceShareName": share["name"],
        "associatedEntity": entity,
        "associationType": kind,
        "status": status,
        "creationTime": when(share["created"]),
        "lastUpdatedTime": when(share["updated"]),
        "external": kind == "PRINCIPAL" and entity not in members,
    }


def invitation_view(arn: str, invitation: dict[str, Any], shares: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceShareInvitationArn": arn,
        "resourceShareName": shares[invitation["share_arn"]]["name"],
        "resourceShareArn": invitation["share_arn"],
        "senderAccountId": invitation["sender"],
        "receiverAccountId": invitation["receiver"],
        "invitationTimestamp": when(invitation["created"]),
        "status": invitation["status"],
    }


# -- checks -------------------------------------------------------------------------------------------------


def check_resource(call: Call, arn: str, allow_external: bool) -> None:
    """The caller may put this resource into a share of this Region."""
    parsed = arns.parse_arn(arn)
    if parsed is None:
        raise error("MalformedArnException", f"The format of the ARN {arn} is not valid.")
    model = find_model(call.state, arn)
    if model is None or parsed.region != call.region:
        where = (
            ""
            if parsed.region == call.region
            else f" A resource share in {call.region} can only include resources in {call.region}."
        )
        raise error("UnknownResourceException", f"The resource {arn} could not be found.{where}")
    if parsed.account != call.account:
        raise error(
            "OperationNotPermittedException",
            f"Account {call.account} does not own the resource {arn}. Only the resource owner can share it.",
        )
    if parsed.resource.startswith("imported/") or model["customization_type"] == "IMPORTED":
        raise error(
            "OperationNotPermittedException",
            f"The resource {arn} is an imported model. Imported models can't be shared.",
        )
    if allow_external:
        raise error(
            "OperationNotPermittedException",
            f"Resources of type {CUSTOM_MODEL_TYPE} can be shared only within your organization. "
            "Set allowExternalPrincipals to false.",
        )


def require_organization_sharing(call: Call) -> None:
    """Refuse, as RAM does, to share a custom model while sharing with AWS Organizations is not enabled.

    `bedrock:CustomModel` can be shared only with accounts of the owner's organization (RAM's "Shareable
    AWS resources" table, https://docs.aws.amazon.com/ram/latest/userguide/shareable.html), and Bedrock
    requires that "resource sharing in AWS RAM must be enabled for the organization" ("Fulfill prerequisites
    to share models", https://docs.aws.amazon.com/bedrock/latest/userguide/share-model-prereq.html). Without
    it RAM answers "OperationNotPermittedException: The resource you are attempting to share can only be
    shared within your AWS Organization", even for an account of the organization ("Errors when trying to
    share with accounts outside of my organization",
    https://docs.aws.amazon.com/ram/latest/userguide/tshoot-sharing-outside-org.html). So no invitation is
    ever sent for a custom model: inside the organization with sharing enabled, principals get access at once.
    """
    if not auto_accepts(call.state):
        raise error(
            "OperationNotPermittedException",
            "The resource you are attempting to share can only be shared within your AWS Organization. "
            "Sharing with AWS Organizations is not enabled (EnableSharingWithAwsOrganization, from the "
            "organization's management account).",
        )


def check_principal(call: Call, principal: str, allow_external: bool) -> None:
    if not (len(principal) == 12 and principal.isdigit()):
        if principal.startswith("arn:") and arns.parse_arn(principal) is None:
            raise error("MalformedArnException", f"The format of the ARN {principal} is not valid.")
        raise error(
            "InvalidParameterException", f"The principal {principal} is not supported: use an AWS account ID."
        )
    if principal == call.account:
        raise error(
            "InvalidParameterException",
            "The resource share owner can't be a principal of the resource share.",
        )
    if principal not in organization(call.state) and not allow_external:
        raise error(
            "OperationNotPermittedException",
            f"The principal {principal} is outside your organization, and the resource share does not allow "
            "external principals.",
        )


def associate_principal(call: Call, share_arn: str, share: dict[str, Any], principal: str) -> None:
    if share["principals"].get(principal) in LIVE_STATUSES:
        return
    if principal in organization(call.state) and auto_accepts(call.state):
        share["principals"][principal] = "ASSOCIATED"
        return
    invite(call, share_arn, share, principal)


def invite(call: Call, share_arn: str, share: dict[str, Any], principal: str) -> None:
    """A PENDING invitation of `principal` to the share (association ASSOCIATING until it answers)."""
    share["principals"][principal] = "ASSOCIATING"
    ram_state(call.state)["invitations"][new_arn(call, "resource-share-invitation")] = {
        "share_arn": share_arn,
        "sender": call.account,
        "receiver": principal,
        "region": call.region,
        "status": "PENDING",
        "created": iso(call.now),
    }


# "For shared resource types not on the following list, you have 12 hours to accept the invitation to join
# the resource share. After 12 hours, the invitation expires and the end user principal in the resource share
# is disassociated" ("Accepting and rejecting resource share invitations", AWS RAM user guide,
# https://docs.aws.amazon.com/ram/latest/userguide/working-with-shared-invitations.html); bedrock:CustomModel
# is not on the seven-day list there.
INVITATION_LIFETIME = timedelta(hours=12)


def settle_invitations(state: dict[str, Any], now: datetime) -> None:
    """PENDING invitations older than INVITATION_LIFETIME -> EXPIRED, their principal DISASSOCIATED."""
    ram = ram_state(state)
    for invitation in ram["invitations"].values():
        if invitation["status"] == "PENDING" and when(invitation["created"]) + INVITATION_LIFETIME <= now:
            invitation["status"] = "EXPIRED"
            share = ram["shares"].get(invitation["share_arn"])
            if share is not None and share["principals"].get(invitation["receiver"]) == "ASSOCIATING":
                share["principals"][invitation["receiver"]] = "DISASSOCIATED"


def invitations_due(state: dict[str, Any]) -> list[datetime]:
    """When each PENDING invitation expires (for the simulation's settle bookkeeping)."""
    return [
        when(invitation["created"]) + INVITATION_LIFETIME
        for invitation in state.get("ram", {}).get("invitations", {}).values()
        if invitation["status"] == "PENDING"
    ]


def expire_invitations(state: dict[str, Any], share_arn: str, principals: Iterable[str]) -> None:
    receivers = set(principals)
    for invitation in ram_state(state)["invitations"].values():
        if (
            invitation["share_arn"] == share_arn
            and invitation["receiver"] in receivers
            and invitation["status"] == "PENDING"
        ):
            invitation["status"] = "EXPIRED"


def owned_share(call: Call, arn: str) -> dict[str, Any]:
    check_arns([arn])
    share: dict[str, Any] | None = ram_state(call.state)["shares"].get(arn)
    if share is None or share["region"] != call.region:
        raise error("UnknownResourceException", f"The resource share {arn} could not be found.")
    if share["owner"] != call.account:
        raise error(
            "OperationNotPermittedException", f"Account {call.account} does not own the resource share {arn}."
        )
    return share


def active_share(call: Call, arn: str) -> dict[str, Any]:
    share = owned_share(call, arn)
    if share["status"] != "ACTIVE":
        raise error("InvalidStateTransitionException", f"The resource share {arn} is {share['status']}.")
    return share
