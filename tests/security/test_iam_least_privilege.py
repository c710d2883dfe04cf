"""`bedrock-gitops policy` is least privilege by construction: the grant table equals what the code calls
(AST scan), and over a full lifecycle in the sandbox (plan, apply with invitations to accept, a version
bump that repoints capacity, a prune that deletes) every call is granted to the role that made it, in its
Region, and nothing granted goes uncalled except the justified exceptions below."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.aws.iam_grants import GRANTS, NO_PERMISSION_NEEDED
from reconciler.aws.iam_policy import (
    account_policies,
    account_roles,
    allows,
    called_operations,
    granted_actions,
    iam_action,
)
from reconciler.cli import main
from reconciler.manifests.load import load_manifests
from reconciler.sandbox.estate import DIRECTORY_ENV_VAR
from tests.apply.support import SOAK_SECONDS, make_estate

# Granted but not called in this lifecycle, and why.
JUSTIFIED = {
    # Authorizes the tags a create carries (bedrock, ram); the sandbox records the create, not this.
    "ram:TagResource": "tags on CreateResourceShare",
    # RAM calls these on the sharer's behalf (share-model-prereq).
    "bedrock:PutResourcePolicy": "RAM, on the sharer's behalf",
    "bedrock:GetResourcePolicy": "RAM, on the sharer's behalf",
    "bedrock:DeleteResourcePolicy": "RAM, on the sharer's behalf",
    # Bedrock uses the copy's key on the role's behalf (copy-model-prereq).
    "kms:CreateGrant": "Bedrock, on the copying role's behalf",
    "kms:GenerateDataKey": "Bedrock, on the copying role's behalf",
    "kms:Decrypt": "Bedrock, on the copying role's behalf",
    # STS is answered by moto, outside the sandbox's request record; every role assumption uses it.
    "sts:AssumeRole": "made for every role; not in the sandbox's record",
    # The lock: a held lock is read (to say who holds it) and a long apply renews its lease.
    "dynamodb:GetItem": "reading who holds the lock (a second apply, force-unlock)",
    "dynamodb:UpdateItem": "renewing the lease of an apply longer than a third of it",
    # Called only by `versions discover`, not in this lifecycle. (bedrock:InvokeModel and
    # bedrock:GetEvaluationJob are no exceptions: the examples declare spec.verify and v2's evaluationJobArn.)
    "bedrock:GetModelCustomizationJob": "versions discover",
    # Repoints a deployment on a version bump: the examples bump a provisioned throughput.
    "bedrock:UpdateCustomModelDeployment": "a version bump of an on-demand deployment",
    "bedrock:DeleteProvisionedModelThroughput": "pruning a provisioned throughput",
    # RAM sends no invitation for a custom model (shared only inside an organization with sharing enabled,
    # where access is immediate); apply accepts one only if a pending invitation of our share turns up.
    "ram:AcceptResourceShareInvitation": "a pending invitation of one of our shares",
}


def test_the_grant_table_is_what_the_code_calls() -> None:
    granted = {(g.service, op) for g in GRANTS for op in g.operations}
    implied = {(g.service, op) for g in GRANTS if g.implied for op in g.operations}
    assert sorted(called_operations() - granted - NO_PERMISSION_NEEDED) == []  # every call has a row
    assert sorted(granted - called_operations() - implied) == []  # every row is a call (or implied)


def _requests(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def test_a_full_lifecycle_calls_exactly_what_each_role_is_granted(
    tmp_path: Path, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate = make_estate(tmp_path)
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(estate.sandbox_dir))
    assert main(["plan", "--sandbox", "--root", str(estate.root)]) == 0
    first = estate.apply()
    assert first.report is not None
    assert first.report.succeeded
    estate.advance(SOAK_SECONDS)  # staging has served v2, verified, for prod's soak time
    estate.edit("environments/prod.yaml", "      version: v1\n", "      version: v2\n")  # repoint in place
    bumped = estate.apply()
    assert bumped.report is not None
    assert bumped.report.succeeded
    assert any(s.operation == "UpdateProvisionedModelThroughput" for s in bumped.report.steps)
    staging = estate.root / "environments" / "staging.yaml"
    text = staging.read_text()
    staging.write_text(text[: text.index("    - name: support-summarizer")].rstrip() + "\n")
    estate.edit("environments/prod.yaml", "    protected: true", "    protected: false")  # v1's copies go
    pruned = estate.apply(prune=True)
    assert pruned.report is not None
    assert pruned.report.succeeded

    manifests = load_manifests(estate.root)
    policies = account_policies(manifests)
    requests = [r for r in _requests(recorded) if r["error"] is None]
    assert requests
    ungranted = sorted(
        {
            (r["account"], r["region"], iam_action(r["service"], r["operation"]))
            for r in requests
            if not allows(
                policies.get(r["account"], policies["base"]), r["service"], r["operation"], r["region"]
            )
        }
    )
    assert ungranted == []
    called = {iam_action(r["service"], r["operation"]) for r in requests}
    granted = set().union(*(granted_actions(policy) for policy in policies.values()))
    assert sorted(granted - called - set(JUSTIFIED)) == []  # nothing granted is never called
    assert sorted(set(JUSTIFIED) & called) == []  # an exception that is called is no exception
    # Per role, too: each row of the table is called by an account playing that row's role.
    roles_of = {account: account_roles(manifests, account) for account in policies if account != "base"}
    base_roles = {"base"} if manifests.backend.lock_account else {"base", "lock"}
    uncalled = sorted(
        (grant.sid, action)
        for grant in GRANTS
        for action in {iam_action(grant.service, op) for op in grant.operations}
        if action not in JUSTIFIED
        and not any(
            iam_action(r["service"], r["operation"]) == action
            and grant.role in roles_of.get(r["account"], base_roles)
            for r in requests
        )
    )
    assert uncalled == []


def test_the_readme_shows_the_prod_roles_policy_as_generated() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    shown = readme.split("<!-- POLICY-EXAMPLE:START -->\n```json\n", 1)[1].split(
        "\n```\n<!-- POLICY-EXAMPLE:END", 1
    )[0]
    manifests = load_manifests(Path(__file__).resolve().parents[2])
    assert json.loads(shown) == account_policies(manifests)["777788889999"]
