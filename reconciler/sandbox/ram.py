"""Simulated AWS RAM, as far as sharing Bedrock custom models inside one AWS Organization needs it.

RAM is regional: a share lives in the Region where it was made and holds only resources of that Region.

State layout, `state["ram"]` (times are ISO-8601 strings):

  shares:      {share ARN: {name, owner, region, status (ACTIVE|DELETED), allow_external, created, updated,
                            tags: {key: value}, resources: {resource ARN: association status},
                            principals: {account id: association status}, token, fingerprint}}
  invitations: {invitation ARN: {share_arn, sender, receiver, region, status (PENDING|ACCEPTED|REJECTED|
                                 EXPIRED), created}}
  organization_sharing_enabled: true once the management account called EnableSharingWithAwsOrganization

Association statuses are ASSOCIATED, ASSOCIATING (waiting for the recipient to accept) or DISASSOCIATED.
Custom models are shared only inside the organization with sharing enabled (the `org_sharing_enabled`
setting, or the API call above): principals are ASSOCIATED at once, and without it the share is refused
(ram_common.require_organization_sharing). A PENDING invitation (association ASSOCIATING until the recipient
accepts) is what RAM sends otherwise; the sandbox keeps the mechanics for invitations already in the state.
A recipient sees a shared model (bedrock.ListCustomModels) only while
the share is ACTIVE and both its principal and the model's resource association are ASSOCIATED.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.api import Call, Handler
from reconciler.sandbox.bedrock_common import find_model, fingerprint, iso, when
from reconciler.sandbox.ram_common import (
    CUSTOM_MODEL_TYPE,
    LIVE_STATUSES,
    MAX_TAGS_PER_SHARE,
    active_share,
    associate_principal,
    association,
    check_arns,
    check_principal,
    check_resource,
    echo_token,
    error,
    expire_invitations,
    invitation_view,
    new_arn,
    organization,
    owned_share,
    page,
    ram_state,
    require_organization_sharing,
    share_view,
)


def shared_model_arns(state: dict[str, Any], account: str, region: str) -> set[str]:
    """ARNs of the custom models in `region` that other accounts share with `account` right now."""
    found: set[str] = set()
    for share in ram_state(state)["shares"].values():
        if share["region"] != region or share["status"] != "ACTIVE" or share["owner"] == account:
            continue
        if share["principals"].get(account) != "ASSOCIATED":
            continue
        found.update(arn for arn, status in share["resources"].items() if status == "ASSOCIATED")
    return {arn for arn in found if find_model(state, arn) is not None}


def resource_counts(state: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Counts per "<account>/<region>" for `sandbox status`: ACTIVE shares owned there, and PENDING
    invitations received there."""
    counts: dict[str, dict[str, int]] = {}
    ram = ram_state(state)
    for share in ram["shares"].values():
        if share["status"] == "ACTIVE":
            entry = counts.setdefault(
                f"{share['owner']}/{share['region']}", {"shares": 0, "pending_invitations": 0}
            )
            entry["shares"] += 1
    for invitation in ram["invitations"].values():
        if invitation["status"] == "PENDING":
            key = f"{invitation['receiver']}/{invitation['region']}"
            counts.setdefault(key, {"shares": 0, "pending_invitations": 0})["pending_invitations"] += 1
    return dict(sorted(counts.items()))


# -- operations ---------------------------------------------------------------------------------------------


def create_resource_share(call: Call) -> dict[str, Any]:
    p = call.params
    shares = ram_state(call.state)["shares"]
    token = p.get("clientToken")
    if token:
        for arn, earlier in shares.items():
            if earlier.get("token") == token and (earlier["owner"], earlier["region"]) == (
                call.account,
                call.region,
            ):
                # Same token, other parameters: IdempotentParameterMismatchException, as RAM's API reference
                # says (https://docs.aws.amazon.com/ram/latest/APIReference/API_CreateResourceShare.html).
                if earlier["fingerprint"] != fingerprint(p, "clientToken"):
                    raise error(
                        "IdempotentParameterMismatchException",
                        f"The client token {token} was already used for a different request.",
                    )
                # The token of a share deleted since: undocumented, so refused (InvalidClientTokenException,
                # one of the operation's modelled errors), the adversarial choice: the reconciler must never
                # depend on it (core/names.py gives a share made again a new token).
                if earlier["status"] == "DELETED":
                    raise error(
                        "InvalidClientTokenException",
                        f"The client token {token} made the resource share {arn}, which has been deleted "
                        "since. Use a new token to share again.",
                    )
                return {"resourceShare": share_view(arn, earlier), "clientToken": token}
    allow_external = p.get("allowExternalPrincipals", True)  # RAM's documented default
    for resource in p.get("resourceArns", []):
        check_resource(call, resource, allow_external)
    for principal in p.get("principals", []):
        check_principal(call, principal, allow_external)
    if p.get("resourceArns") and p.get("principals"):
        require_organization_sharing(call)
    arn = new_arn(call, "resource-share")
    share: dict[str, Any] = {
        "name": p["name"],
        "owner": call.account,
        "region": call.region,
        "status": "ACTIVE",
        "allow_external": allow_external,
        "created": iso(call.now),
        "updated": iso(call.now),
        "tags": {tag["key"]: tag.get("value", "") for tag in p.get("tags", [])},
        "resources": dict.fromkeys(p.get("resourceArns", []), "ASSOCIATED"),
        "principals": {},
        "token": token,
        "fingerprint": fingerprint(p, "clientToken"),
    }
    if len(share["tags"]) > MAX_TAGS_PER_SHARE:
        raise error(
            "TagLimitExceededException", f"A resource share can have at most {MAX_TAGS_PER_SHARE} tags."
        )
    shares[arn] = share
    for principal in p.get("principals", []):
        associate_principal(call, arn, share, principal)
    return {"resourceShare": share_view(arn, share), **echo_token(call)}


def _visible_to(share: dict[str, Any], account: str, owner: str) -> bool:
    """Owners see their shares (DELETED ones too); recipients those they are ASSOCIATED with."""
    if owner == "SELF":
        return bool(share["owner"] == account)
    return bool(
        share["owner"] != account
        and share["status"] == "ACTIVE"
        and share["principals"].get(account) == "ASSOCIATED"
    )


def get_resource_shares(call: Call) -> dict[str, Any]:
    p = call.params
    check_arns(p.get("resourceShareArns", []))
    views = []
    for arn, share in sorted(ram_state(call.state)["shares"].items()):
        if share["region"] != call.region or not _visible_to(share, call.account, p["resourceOwner"]):
            continue
        if p.get("resourceShareArns") and arn not in p["resourceShareArns"]:
            continue
        if p.get("name") not in (None, share["name"]) or p.get("resourceShareStatus") not in (
            None,
            share["status"],
        ):
            continue
        if not all(
            f.get("tagKey") in share["tags"]
            and (not f.get("tagValues") or share["tags"][f["tagKey"]] in f["tagValues"])
            for f in p.get("tagFilters", [])
        ):
            continue
        views.append(share_view(arn, share))
    items, token = page(views, p)
    return {"resourceShares": items, **token}


def get_resource_share_associations(call: Call) -> dict[str, Any]:
    p = call.params
    kind = p["associationType"]
    if kind == "PRINCIPAL" and p.get("resourceArn"):
        raise error(
            "InvalidParameterException", "You can't specify resourceArn when associationType is PRINCIPAL."
        )
    if kind == "RESOURCE" and p.get("principal"):
        raise error(
            "InvalidParameterException", "You can't specify principal when associationType is RESOURCE."
        )
    check_arns(p.get("resourceShareArns", []))
    # Which associations match, then only the page's are built: a share with thousands of principals is
    # listed over many pages, and building every association for every page made the listing quadratic.
    found: list[tuple[str, dict[str, Any], str, str]] = []
    for arn, share in sorted(ram_state(call.state)["shares"].items()):
        if share["owner"] != call.account or share["region"] != call.region or kind == "SOURCE":
            continue
        if p.get("resourceShareArns") and arn not in p["resourceShareArns"]:
            continue
        entities = share["principals"] if kind == "PRINCIPAL" else share["resources"]
        for entity, status in sorted(entities.items()):
            if p.get("principal", entity) != entity or p.get("resourceArn", entity) != entity:
                continue
            if p.get("associationStatus", status) == status:
                found.append((arn, share, entity, status))
    items, token = page(found, p)
    members = organization(call.state)
    associations = [association(call, a, share, e, kind, s, members) for a, share, e, s in items]
    return {"resourceShareAssociations": associations, **token}


def get_resource_share_invitations(call: Call) -> dict[str, Any]:
    p = call.params
    ram = ram_state(call.state)
    views = [
        invitation_view(arn, invitation, ram["shares"])
        for arn, invitation in sorted(ram["invitations"].items())
        if invitation["receiver"] == call.account
        and invitation["region"] == call.region
        and (not p.get("resourceShareInvitationArns") or arn in p["resourceShareInvitationArns"])
        and (not p.get("resourceShareArns") or invitation["share_arn"] in p["resourceShareArns"])
    ]
    items, token = page(views, p)
    return {"resourceShareInvitations": items, **token}


def _answer_invitation(call: Call, accept: bool) -> dict[str, Any]:
    ram = ram_state(call.state)
    arn = call.params["resourceShareInvitationArn"]
    check_arns([arn])
    invitation = ram["invitations"].get(arn)
    if invitation is None or invitation["receiver"] != call.account or invitation["region"] != call.region:
        raise error(
            "ResourceShareInvitationArnNotFoundException", f"The invitation {arn} could not be found."
        )
    status = invitation["status"]
    if status == "ACCEPTED":
        raise error(
            "ResourceShareInvitationAlreadyAcceptedException", f"The invitation {arn} was already accepted."
        )
    if status == "REJECTED":
        raise error(
            "ResourceShareInvitationAlreadyRejectedException", f"The invitation {arn} was already rejected."
        )
    if status == "EXPIRED":
        raise error("ResourceShareInvitationExpiredException", f"The invitation {arn} has expired.")
    invitation["status"] = "ACCEPTED" if accept else "REJECTED"
    share = ram["shares"][invitation["share_arn"]]
    share["principals"][call.account] = "ASSOCIATED" if accept else "DISASSOCIATED"
    share["updated"] = iso(call.now)
    return {"resourceShareInvitation": invitation_view(arn, invitation, ram["shares"]), **echo_token(call)}


def accept_resource_share_invitation(call: Call) -> dict[str, Any]:
    return _answer_invitation(call, accept=True)


def reject_resource_share_invitation(call: Call) -> dict[str, Any]:
    return _answer_invitation(call, accept=False)


def associate_resource_share(call: Call) -> dict[str, Any]:
    p = call.params
    arn = p["resourceShareArn"]
    share = active_share(call, arn)
    for resource in p.get("resourceArns", []):
        check_resource(call, resource, share["allow_external"])
    for principal in p.get("principals", []):
        check_principal(call, principal, share["allow_external"])
    shares_models = p.get("resourceArns") or any(s in LIVE_STATUSES for s in share["resources"].values())
    has_principals = p.get("principals") or any(s in LIVE_STATUSES for s in share["principals"].values())
    if shares_models and has_principals:
        require_organization_sharing(call)
    for resource in p.get("resourceArns", []):
        share["resources"][resource] = "ASSOCIATED"
    for principal in p.get("principals", []):
        associate_principal(call, arn, share, principal)
    share["updated"] = iso(call.now)
    changed = [(e, "PRINCIPAL", share["principals"][e]) for e in p.get("principals", [])]
    changed += [(e, "RESOURCE", "ASSOCIATED") for e in p.get("resourceArns", [])]
    return {
        "resourceShareAssociations": [association(call, arn, share, e, k, s) for e, k, s in changed],
        **echo_token(call),
    }


def disassociate_resource_share(call: Call) -> dict[str, Any]:
    p = call.params
    arn = p["resourceShareArn"]
    share = active_share(call, arn)
    wanted = [(e, "PRINCIPAL", share["principals"]) for e in p.get("principals", [])]
    wanted += [(e, "RESOURCE", share["resources"]) for e in p.get("resourceArns", [])]
    for entity, _, entities in wanted:
        if entity not in entities:
            raise error(
                "UnknownResourceException", f"{entity} is not associated with the resource share {arn}."
            )
    for entity, _, entities in wanted:
        entities[entity] = "DISASSOCIATED"
    expire_invitations(call.state, arn, p.get("principals", []))
    share["updated"] = iso(call.now)
    return {
        "resourceShareAssociations": [
            association(call, arn, share, e, k, "DISASSOCIATED") for e, k, _ in wanted
        ],
        **echo_token(call),
    }


def delete_resource_share(call: Call) -> dict[str, Any]:
    arn = call.params["resourceShareArn"]
    share = active_share(call, arn)
    share["status"] = "DELETED"
    share["principals"] = dict.fromkeys(share["principals"], "DISASSOCIATED")
    share["resources"] = dict.fromkeys(share["resources"], "DISASSOCIATED")
    expire_invitations(call.state, arn, share["principals"])
    share["updated"] = iso(call.now)
    return {"returnValue": True, **echo_token(call)}


def _tagged_share(call: Call) -> dict[str, Any]:
    p = call.params
    if p.get("resourceArn") and not p.get("resourceShareArn"):
        # resourceArn names a managed permission; the sandbox has none.
        raise error("ResourceArnNotFoundException", f"The resource {p['resourceArn']} could not be found.")
    if not p.get("resourceShareArn"):
        raise error("InvalidParameterException", "Specify either resourceShareArn or resourceArn.")
    return owned_share(call, p["resourceShareArn"])


def tag_resource(call: Call) -> dict[str, Any]:
    share = _tagged_share(call)
    tags = {**share["tags"], **{tag["key"]: tag.get("value", "") for tag in call.params["tags"]}}
    if len(tags) > MAX_TAGS_PER_SHARE:
        raise error(
            "TagLimitExceededException", f"A resource share can have at most {MAX_TAGS_PER_SHARE} tags."
        )
    share["tags"] = tags
    return {}


def untag_resource(call: Call) -> dict[str, Any]:
    share = _tagged_share(call)
    for key in call.params["tagKeys"]:
        share["tags"].pop(key, None)
    return {}


def list_resources(call: Call) -> dict[str, Any]:
    p = call.params
    check_arns([*p.get("resourceArns", []), *p.get("resourceShareArns", [])])
    found = []
    for arn, share in sorted(ram_state(call.state)["shares"].items()):
        if share["region"] != call.region or share["status"] != "ACTIVE":
            continue
        if not _visible_to(share, call.account, p["resourceOwner"]):
            continue
        if p.get("principal") and share["principals"].get(p["principal"]) not in LIVE_STATUSES:
            continue
        if p.get("resourceShareArns") and arn not in p["resourceShareArns"]:
            continue
        if p.get("resourceType") and p["resourceType"].lower() != CUSTOM_MODEL_TYPE.lower():
            continue
        for resource, status in sorted(share["resources"].items()):
            if status != "ASSOCIATED" or (p.get("resourceArns") and resource not in p["resourceArns"]):
                continue
            found.append(
                {
                    "arn": resource,
                    "type": CUSTOM_MODEL_TYPE,
                    "resourceShareArn": arn,
                    "status": "AVAILABLE",
                    "creationTime": when(share["created"]),
                    "lastUpdatedTime": when(share["updated"]),
                    "resourceRegionScope": "REGIONAL",
                }
            )
    items, token = page(found, p)
    return {"resources": items, **token}


def enable_sharing_with_aws_organization(call: Call) -> dict[str, Any]:
    if call.account != call.state.get("organization", {}).get("management_account"):
        raise error(
            "OperationNotPermittedException",
            "Only the management account of the organization can enable sharing with AWS Organizations.",
        )
    ram_state(call.state)["organization_sharing_enabled"] = True
    return {"returnValue": True}


HANDLERS: dict[str, Handler] = {
    "CreateResourceShare": create_resource_share,
    "GetResourceShares": get_resource_shares,
    "GetResourceShareAssociations": get_resource_share_associations,
    "GetResourceShareInvitations": get_resource_share_invitations,
    "AcceptResourceShareInvitation": accept_resource_share_invitation,
    "RejectResourceShareInvitation": reject_resource_share_invitation,
    "AssociateResourceShare": associate_resource_share,
    "DisassociateResourceShare": disassociate_resource_share,
    "DeleteResourceShare": delete_resource_share,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResources": list_resources,
    "EnableSharingWithAwsOrganization": enable_sharing_with_aws_organization,
}
