"""`policy`: print the least-privilege IAM policy of each account's reconciler role (and of the base
credentials), generated from the AWS operations the reconciler's code calls (reconciler/aws/iam_policy.py).
No AWS access."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from reconciler.manifests.load import load_manifests


def add_parser(commands: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "policy", help="print the least-privilege IAM policy for each account's reconciler role"
    )
    add_common(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object: account -> role, policy")
    parser.set_defaults(run=run)


def describe(manifests: Any, account: str) -> str:
    roles = [e.name for e in manifests.environments if e.account_id == account]
    if any(m.source_account == account for m in manifests.models):
        roles.append("model source")
    return ", ".join(roles)


def run(args: argparse.Namespace) -> int:
    from reconciler.aws.iam_policy import account_policies

    manifests = load_manifests(args.root)
    policies = account_policies(manifests)
    documents: dict[str, dict[str, Any]] = {}
    for account, policy in policies.items():
        role = manifests.role_for_account(account) if account != "base" else None
        documents[account] = {"role": role, "policy": policy}
    if args.json:
        print(json.dumps(documents, indent=2, sort_keys=True))
        return 0
    print(
        "# Least-privilege IAM policies for bedrock-gitops, generated from the AWS operations its code calls."
    )
    for account, document in documents.items():
        if account == "base":
            print("\n## Base credentials (the identity that runs bedrock-gitops, e.g. the CI's OIDC role)")
        else:
            print(f"\n## {account} ({describe(manifests, account)}): attach to {document['role']}")
        print(json.dumps(document["policy"], indent=2))
    return 0
