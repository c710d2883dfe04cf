"""Simulated read-only Organizations and Service Quotas calls that `plan`'s preflight makes.

moto implements Organizations, but its state lives only as long as one `mock_aws()` block and mints random
ids, while the sandbox must persist between CLI invocations and match the example manifests (fixed account
ids); moto's Service Quotas knows only VPC. So these answer from the state document:

    "organization": {"id", "management_account", "accounts": [...]}       (seed.py; ram.py reads it too)
    "service_quotas": {"<account>/<region>": {"<quota code>": value}}     (overrides of QUOTA_DEFAULTS)

KMS is moto's, its keys kept in the same document (moto_state.py); `key_policy` below writes their policies.

RAM sharing with the organization is enabled when RAM auto-accepts (the `org_sharing_enabled` setting or
EnableSharingWithAwsOrganization), so Organizations and RAM always tell the same story.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.sandbox.api import Call, Handler, SimulatedError
from reconciler.sandbox.ram_common import auto_accepts

# -- Organizations ------------------------------------------------------------------------------------------

ORG_ENABLED_AT = 1767225600.0  # 2026-01-01T00:00:00Z, when the seed organization turned on its services
RAM_PRINCIPAL = "ram.amazonaws.com"


def _organization(call: Call) -> dict[str, Any]:
    organization: dict[str, Any] = call.state.get("organization") or {}
    if call.account not in organization.get("accounts", ()):
        raise SimulatedError(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        )
    return organization


def describe_organization(call: Call) -> dict[str, Any]:
    organization = _organization(call)
    management = organization["management_account"]
    org_id = organization["id"]
    return {
        "Organization": {
            "Id": org_id,
            "Arn": f"arn:aws:organizations::{management}:organization/{org_id}",
            "FeatureSet": "ALL",
            "MasterAccountArn": f"arn:aws:organizations::{management}:account/{org_id}/{management}",
            "MasterAccountId": management,
            "MasterAccountEmail": "aws-management@example.com",
        }
    }


def list_aws_service_access_for_organization(call: Call) -> dict[str, Any]:
    organization = _organization(call)
    if call.account != organization["management_account"]:
        raise SimulatedError(
            "AccessDeniedException",
            "You don't have permissions to access this resource: only the management account of the "
            "organization can list the services it enabled.",
        )
    enabled = (
        [{"ServicePrincipal": RAM_PRINCIPAL, "DateEnabled": ORG_ENABLED_AT}]
        if auto_accepts(call.state)
        else []
    )
    return {"EnabledServicePrincipals": enabled}


# -- KMS (answered by moto: moto_state.py) -----------------------------------------------------------------


def key_policy(account: str, *statements: dict[str, Any]) -> str:
    """A key policy (JSON text) with the usual root statement plus `statements`."""
    root = {
        "Sid": "EnableIAMUserPermissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Id": "key-policy", "Statement": [root, *statements]})


# -- Service Quotas -----------------------------------------------------------------------------------------

# Sandbox quota codes: real Bedrock quota codes are not published, the reconciler finds quotas by name
# (reconciler/data/bedrock-support.json), so these are made up and say so.
QUOTA_DEFAULTS: dict[str, tuple[str, float, str]] = {
    "L-SANDBOX-CUSTOM-MODELS": ("Custom models per account", 100.0, "None"),
    "L-SANDBOX-COPY-JOBS": ("Concurrent model copy jobs", 5.0, "None"),
}


def _quotas(call: Call) -> list[dict[str, Any]]:
    overrides: dict[str, float] = call.state.get("service_quotas", {}).get(
        f"{call.account}/{call.region}", {}
    )
    return [
        {
            "ServiceCode": "bedrock",
            "ServiceName": "Amazon Bedrock",
            "QuotaArn": f"arn:aws:servicequotas:{call.region}:{call.account}:bedrock/{code}",
            "QuotaCode": code,
            "QuotaName": name,
            "Value": float(overrides.get(code, value)),
            "Unit": unit,
            "Adjustable": True,
            "GlobalQuota": False,
        }
        for code, (name, value, unit) in sorted(QUOTA_DEFAULTS.items())
    ]


def _no_such_service(code: str) -> SimulatedError:
    return SimulatedError(
        "NoSuchResourceException", f"The service code {code} does not exist (sandbox: bedrock only)."
    )


def list_service_quotas(call: Call) -> dict[str, Any]:
    if call.params["ServiceCode"] != "bedrock":
        raise _no_such_service(call.params["ServiceCode"])
    wanted = call.params.get("QuotaCode")
    return {"Quotas": [q for q in _quotas(call) if wanted in (None, q["QuotaCode"])]}


def get_service_quota(call: Call) -> dict[str, Any]:
    if call.params["ServiceCode"] != "bedrock":
        raise _no_such_service(call.params["ServiceCode"])
    for quota in _quotas(call):
        if quota["QuotaCode"] == call.params["QuotaCode"]:
            return {"Quota": quota}
    raise SimulatedError("NoSuchResourceException", f"The quota {call.params['QuotaCode']} does not exist.")


HANDLERS: dict[str, dict[str, Handler]] = {
    "organizations": {
        "DescribeOrganization": describe_organization,
        "ListAWSServiceAccessForOrganization": list_aws_service_access_for_organization,
    },
    "service-quotas": {"ListServiceQuotas": list_service_quotas, "GetServiceQuota": get_service_quota},
}
