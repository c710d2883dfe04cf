"""Simulated AWS RAM for sharing Bedrock custom models inside one AWS Organization.

State layout, `state["ram"]`:
  shares:      {arn: {name, owner, region, status, allow_external, created, updated, tags,
                      resources: {arn: status}, principals: {account: status}, token, fingerprint}}
  invitations: {arn: {share_arn, sender, receiver, region, status, created}}
Inside the organization with RAM sharing enabled (setting `org_sharing_enabled`), principals are associated
at once; otherwise each recipient gets a PENDING invitation and stays ASSOCIATING until it accepts.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from reconciler.sandbox import arns
from reconciler.sandbox.api import Call, Handler, SimulatedError, next_sequence
from reconciler.sandbox.paging import page, scope_of, when

_UUID_NAMESPACE = uuid.UUID("0b6f0d0e-52f4-4c1e-9a55-1d7c3c6f2a10")
CUSTOM_MODEL_TYPE = "bedrock:CustomModel"


def _error(code: str, message: str, status: int = 400) -> SimulatedError:
    return SimulatedError(code, message, status)


def _ram(state: dict[str, Any]) -> dict[str, Any]:
    ram: dict[str, Any] = state.setdefault("ram", {})
    ram.setdefault("shares", {})
    ram.setdefault("invitations", {})
    return ram


def _new_arn(call: Call, kind: str) -> str:
    identifier = uuid.uuid5(_UUID_NAMESPACE, f"{kind}/{next_sequence(call.state)}")
    return f"arn:aws:ram:{call.region}:{call.account}:{kind}/{identifier}"


def resources_shared_with(state: dict[str, Any], account: str, region: str) -> set[str]:
    """ARNs of the resources in `region` that active shares make usable by `account`."""
    found: set[str] = set()
    for share in _ram(state)["shares"].values():
        if (
            share["region"] == region
            and share["status"] == "ACTIVE"
            and share["principals"].get(account) == "ASSOCIATED"
        ):
            found |= {arn for arn, status in share["resources"].items() if status == "ASSOCIATED"}
    return found


def _organization(state: dict[str, Any]) -> set[str]:
    return set(state.get("organization", {}).get("accounts", []))


def _auto_accept(state: dict[str, Any]) -> bool:
    return bool(state.get("settings", {}).get("org_sharing_enabled", True))


def _share_view(arn: str, share: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceShareArn": arn,
        "name": share["name"],
        "owningAccountId": share["owner"],
        "allowExternalPrincipals": share["allow_external"],
        "status": share["status"],
        "creationTime": when(share["created"]),
        "lastUpdatedTime": when(share["updated"]),
        "tags": [{"key": k, "value": v} for k, v in sorted(share["tags"].items())],
        "featureSet": "STANDARD",
    }


def _check_resource(call: Call, arn: str, allow_external: bool) -> None:
    parsed = arns.parse_arn(arn)
    if parsed is None:
        raise _error("MalformedArnException", f"The ARN {arn} is not valid.")
    if parsed.account != call.account or parsed.region != call.region:
        raise _error(
            "UnknownResourceException", f"The resource {arn} does not exist in this account and Region."
        )
    if parsed.service == "bedrock" and parsed.resource_type == "custom-model":
        model = scope_of(call.state, call.account, call.region)["models"].get(arn)
        if model is None:
            raise _error("UnknownResourceException", f"The resource {arn} does not exist.")
        if parsed.resource.startswith("imported/"):
            raise _error("OperationNotPermittedException", "Imported models cannot be shared.")
        if allow_external:
            raise _error(
                "OperationNotPermittedException",
                "Resources of type bedrock:CustomModel can be shared only within your organization. "
                "Set allowExternalPrincipals to false.",
            )


def _add_principal(call: Call, share_arn: str, share: dict[str, Any], principal: str) -> None:
    if principal == call.account:
        raise _error("InvalidParameterException", "You cannot share a resource with your own account.")
    if not (len(principal) == 12 and principal.isdigit()):
        raise _error("InvalidParameterException", f"The principal {principal} is not an AWS account id.")
    in_org = principal in _organization(call.state)
    if not in_org and not share["allow_external"]:
        raise _error(
            "OperationNotPermittedException",
            f"The principal {principal} is not in your organization, and this share does not allow external "
            "principals.",
        )
    if share["principals"].get(principal) in ("ASSOCIATED", "ASSOCIATING"):
        return
    if in_org and _auto_accept(call.state):
        share["principals"][principal] = "ASSOCIATED"
        return
    share["principals"][principal] = "ASSOCIATING"
    _ram(call.state)["invitations"][_new_arn(call, "resource-share-invitation")] = {
        "share_arn": share_arn,
        "sender": call.account,
        "receiver": principal,
        "region": call.region,
        "status": "PENDING",
        "created": call.now.isoformat(),
    }


def _fingerprint(params: dict[str, Any]) -> str:
    stable = {k: v for k, v in params.items() if k != "clientToken"}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def create_resource_share(call: Call) -> dict[str, Any]:
    p = call.params
    shares = _ram(call.state)["shares"]
    token = p.get("clientToken")
    for arn, existing in shares.items():
        if token and existing.get("token") == token and existing["owner"] == call.account:
            if existing["fingerprint"] != _fingerprint(p):
                raise _error(
                    "IdempotentParameterMismatchException", "The client token was used with other parameters."
                )
            return {"resourceShare": _share_view(arn, existing), "clientToken": token}
    allow_external = p.get("allowExternalPrincipals", True)  # RAM's default
    for resource in p.get("resourceArns", []):
        _check_resource(call, resource, allow_external)
    arn = _new_arn(call, "resource-share")
    share: dict[str, Any] = {
        "name": p["name"],
        "owner": call.account,
        "region": call.region,
        "status": "ACTIVE",
        "allow_external": allow_external,
        "created": call.now.isoformat(),
        "updated": call.now.isoformat(),
        "tags": {t["key"]: t.get("value", "") for t in p.get("tags", [])},
        "resources": dict.fromkeys(p.get("resourceArns", []), "ASSOCIATED"),
        "principals": {},
        "token": token,
        "fingerprint": _fingerprint(p),
    }
    for principal in p.get("principals", []):
        _add_principal(call, arn, share, principal)
    shares[arn] = share
    return {"resourceShare": _share_view(arn, share), **({"clientToken": token} if token else {})}


def _owned_share(call: Call, arn: str) -> dict[str, Any]:
    share: dict[str, Any] | None = _ram(call.state)["shares"].get(arn)
    if share is None or share["region"] != call.region:
        raise _error("UnknownResourceException", f"The resource share {arn} does not exist.")
    if share["owner"] != call.account:
        raise _error("OperationNotPermittedException", f"Only the owner of {arn} can change it.")
    return share


def get_resource_shares(call: Call) -> dict[str, Any]:
    p = call.params
    views = []
    for arn, share in sorted(_ram(call.state)["shares"].items()):
        if share["region"] != call.region:
            continue
        mine = share["owner"] == call.account
        if (p["resourceOwner"] == "SELF") != mine:
            continue
        if not mine and share["principals"].get(call.account) != "ASSOCIATED":
            continue
        if p.get("resourceShareArns") and arn not in p["resourceShareArns"]:
            continue
        if p.get("name") not in (None, share["name"]):
            continue
        if p.get("resourceShareStatus") not in (None, share["status"]):
            continue
        views.append(_share_view(arn, share))
    items, token = page(views, p, default_size=500)
    return {"resourceShares": items, **token}


def _association(arn: str, share: dict[str, Any], entity: str, kind: str, status: str) -> dict[str, Any]:
    return {
        "resourceShareArn": arn,
        "resourceShareName": share["name"],
        "associatedEntity": entity,
        "associationType": kind,
        "status": status,
        "creationTime": when(share["created"]),
        "lastUpdatedTime": when(share["updated"]),
        "external": False,
    }


def get_resource_share_associations(call: Call) -> dict[str, Any]:
    p = call.params
    kind = p["associationType"]
    found = []
    for arn, share in sorted(_ram(call.state)["shares"].items()):
        if share["owner"] != call.account or share["region"] != call.region:
            continue
        if p.get("resourceShareArns") and arn not in p["resourceShareArns"]:
            continue
        entities = share["principals"] if kind == "PRINCIPAL" else share["resources"]
        for entity, status in sorted(entities.items()):
            if p.get("principal") not in (None, entity) or p.get("resourceArn") not in (None, entity):
                continue
            if p.get("associationStatus") not in (None, status):
                continue
            found.append(_association(arn, share, entity, kind, status))
    items, token = page(found, p, default_size=500)
    return {"resourceShareAssociations": items, **token}


def _invitation_view(arn: str, invitation: dict[str, Any], shares: dict[str, Any]) -> dict[str, Any]:
    share = shares.get(invitation["share_arn"], {})
    return {
        "resourceShareInvitationArn": arn,
        "resourceShareName": share.get("name", ""),
        "resourceShareArn": invitation["share_arn"],
        "senderAccountId": invitation["sender"],
        "receiverAccountId": invitation["receiver"],
        "invitationTimestamp": when(invitation["created"]),
        "status": invitation["status"],
    }


def get_resource_share_invitations(call: Call) -> dict[str, Any]:
    p = call.params
    ram = _ram(call.state)
    views = [
        _invitation_view(arn, invitation, ram["shares"])
        for arn, invitation in sorted(ram["invitations"].items())
        if invitation["receiver"] == call.account
        and invitation["region"] == call.region
        and (not p.get("resourceShareInvitationArns") or arn in p["resourceShareInvitationArns"])
        and (not p.get("resourceShareArns") or invitation["share_arn"] in p["resourceShareArns"])
    ]
    items, token = page(views, p, default_size=500)
    return {"resourceShareInvitations": items, **token}


def _answer_invitation(call: Call, accept: bool) -> dict[str, Any]:
    ram = _ram(call.state)
    arn = call.params["resourceShareInvitationArn"]
    invitation = ram["invitations"].get(arn)
    if invitation is None or invitation["receiver"] != call.account or invitation["region"] != call.region:
        raise _error("ResourceShareInvitationArnNotFoundException", f"The invitation {arn} was not found.")
    if invitation["status"] == "ACCEPTED":
        raise _error(
            "ResourceShareInvitationAlreadyAcceptedException", f"The invitation {arn} was already accepted."
        )
    if invitation["status"] == "REJECTED":
        raise _error(
            "ResourceShareInvitationAlreadyRejectedException", f"The invitation {arn} was already rejected."
        )
    invitation["status"] = "ACCEPTED" if accept else "REJECTED"
    share = ram["shares"].get(invitation["share_arn"])
    if share is not None:
        share["principals"][call.account] = "ASSOCIATED" if accept else "DISASSOCIATED"
    token = call.params.get("clientToken")
    return {
        "resourceShareInvitation": _invitation_view(arn, invitation, ram["shares"]),
        **({"clientToken": token} if token else {}),
    }


def accept_resource_share_invitation(call: Call) -> dict[str, Any]:
    return _answer_invitation(call, accept=True)


def reject_resource_share_invitation(call: Call) -> dict[str, Any]:
    return _answer_invitation(call, accept=False)


def associate_resource_share(call: Call) -> dict[str, Any]:
    p = call.params
    arn = p["resourceShareArn"]
    share = _owned_share(call, arn)
    for resource in p.get("resourceArns", []):
        _check_resource(call, resource, share["allow_external"])
        share["resources"][resource] = "ASSOCIATED"
    for principal in p.get("principals", []):
        _add_principal(call, arn, share, principal)
    share["updated"] = call.now.isoformat()
    changed = [(e, "PRINCIPAL", share["principals"][e]) for e in p.get("principals", [])]
    changed += [(e, "RESOURCE", "ASSOCIATED") for e in p.get("resourceArns", [])]
    token = p.get("clientToken")
    return {
        "resourceShareAssociations": [_association(arn, share, e, k, s) for e, k, s in changed],
        **({"clientToken": token} if token else {}),
    }


def disassociate_resource_share(call: Call) -> dict[str, Any]:
    p = call.params
    arn = p["resourceShareArn"]
    share = _owned_share(call, arn)
    changed = []
    for principal in p.get("principals", []):
        if principal in share["principals"]:
            share["principals"][principal] = "DISASSOCIATED"
            changed.append((principal, "PRINCIPAL"))
    for resource in p.get("resourceArns", []):
        if resource in share["resources"]:
            share["resources"][resource] = "DISASSOCIATED"
            changed.append((resource, "RESOURCE"))
    share["updated"] = call.now.isoformat()
    token = p.get("clientToken")
    return {
        "resourceShareAssociations": [_association(arn, share, e, k, "DISASSOCIATED") for e, k in changed],
        **({"clientToken": token} if token else {}),
    }


def delete_resource_share(call: Call) -> dict[str, Any]:
    share = _owned_share(call, call.params["resourceShareArn"])
    share["status"] = "DELETED"
    share["principals"] = dict.fromkeys(share["principals"], "DISASSOCIATED")
    share["updated"] = call.now.isoformat()
    token = call.params.get("clientToken")
    return {"returnValue": True, **({"clientToken": token} if token else {})}


def tag_resource(call: Call) -> dict[str, Any]:
    share = _owned_share(call, call.params["resourceShareArn"])
    share["tags"].update({t["key"]: t.get("value", "") for t in call.params["tags"]})
    return {}


def untag_resource(call: Call) -> dict[str, Any]:
    share = _owned_share(call, call.params["resourceShareArn"])
    for key in call.params["tagKeys"]:
        share["tags"].pop(key, None)
    return {}


def list_resources(call: Call) -> dict[str, Any]:
    p = call.params
    found = []
    for arn, share in sorted(_ram(call.state)["shares"].items()):
        if share["region"] != call.region or share["status"] != "ACTIVE":
            continue
        mine = share["owner"] == call.account
        if (p["resourceOwner"] == "SELF") != mine:
            continue
        if not mine and share["principals"].get(call.account) != "ASSOCIATED":
            continue
        if p.get("principal") and share["principals"].get(p["principal"]) != "ASSOCIATED":
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
                }
            )
    items, token = page(found, p, default_size=500)
    return {"resources": items, **token}


def enable_sharing_with_aws_organization(call: Call) -> dict[str, Any]:
    if call.account != call.state.get("organization", {}).get("management_account"):
        raise _error(
            "OperationNotPermittedException", "Only the organization's management account can enable sharing."
        )
    call.state.setdefault("settings", {})["org_sharing_enabled"] = True
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
