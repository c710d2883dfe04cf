"""`policy`: print the least-privilege IAM policy of each role (the reconciler role of every declared
account, and the base credentials), generated from the grant table and the manifests
(reconciler/aws/iam_policy.py), as text, JSON, Terraform or CloudFormation. No AWS access."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from typing import Any

from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests

FORMATS = ("text", "json", "terraform", "cloudformation")
POLICY_NAME = "bedrock-gitops"


def add_parser(commands: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "policy", help="print the least-privilege IAM policy for each account's reconciler role"
    )
    add_common(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default); json: one object, account -> role, policy; terraform: aws_iam_role_policy "
        "resources; cloudformation: one AWS::IAM::RolePolicy template per account",
    )
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.set_defaults(run=run)


def describe(manifests: Manifests, account: str) -> str:
    roles = [e.name for e in manifests.environments if e.account_id == account]
    if any(m.source_account == account for m in manifests.models):
        roles.append("model source")
    if manifests.backend.lock_account == account:
        roles.append("apply lock")
    return ", ".join(roles)


def documents(manifests: Manifests) -> dict[str, dict[str, Any]]:
    from reconciler.aws.iam_policy import account_policies

    found: dict[str, dict[str, Any]] = {}
    for account, policy in account_policies(manifests).items():
        role = manifests.role_for_account(account) if account != "base" else None
        if role is None and account == manifests.backend.lock_account:
            role = manifests.backend.lock_role_arn
        found[account] = {"role": role, "policy": policy}
    return found


def _role_name(role_arn: str | None) -> str:
    return role_arn.rsplit("/", 1)[-1] if role_arn else "<the role your CI assumes first>"


def terraform(manifests: Manifests, found: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# bedrock-gitops least-privilege policies (bedrock-gitops policy --format terraform).",
        "# Each block belongs in the account named above it (e.g. a provider alias per account).",
    ]
    for account, document in found.items():
        name = "base" if account == "base" else f"account_{account}"
        where = (
            "the base credentials"
            if account == "base"
            else f"account {account} ({describe(manifests, account)})"
        )
        policy = json.dumps(document["policy"], indent=2)
        lines += [
            "",
            f"# {where}",
            f'resource "aws_iam_role_policy" "bedrock_gitops_{re.sub(r"[^a-z0-9_]", "_", name)}" {{',
            f'  name   = "{POLICY_NAME}"',
            f'  role   = "{_role_name(document["role"])}"',
            "  policy = <<-EOT",
            *[f"    {line}" for line in policy.splitlines()],
            "  EOT",
            "}",
        ]
    return "\n".join(lines)


def cloudformation(found: dict[str, dict[str, Any]]) -> str:
    templates = {
        account: {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"bedrock-gitops least-privilege policy for {account}",
            "Resources": {
                "BedrockGitOpsPolicy": {
                    "Type": "AWS::IAM::RolePolicy",
                    "Properties": {
                        "PolicyName": POLICY_NAME,
                        "RoleName": _role_name(document["role"]),
                        "PolicyDocument": document["policy"],
                    },
                }
            },
        }
        for account, document in found.items()
    }
    return json.dumps(templates, indent=2)


def run(args: argparse.Namespace) -> int:
    manifests = load_manifests(args.root)
    found = documents(manifests)
    form = "json" if args.json else args.format
    if form == "json":
        print(json.dumps(found, indent=2, sort_keys=True))
    elif form == "terraform":
        print(terraform(manifests, found))
    elif form == "cloudformation":
        print(cloudformation(found))
    else:
        print(
            "# Least-privilege IAM policies for bedrock-gitops, one per role (reconciler/aws/iam_grants.py)."
        )
        for account, document in found.items():
            if account == "base":
                print(
                    "\n## Base credentials (the identity that runs bedrock-gitops, e.g. the CI's OIDC role)"
                )
            else:
                print(f"\n## {account} ({describe(manifests, account)}): attach to {document['role']}")
            print(json.dumps(document["policy"], indent=2))
    return 0
