"""Security invariants over every request a full lifecycle makes (plan, apply, prune), recorded by the
sandbox: no RAM share open to external principals, no call into an account the manifests do not declare, no
delete of a resource without our ownership tag, and no credentials in any output, --debug included."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import RefreshableCredentials

from reconciler import MANAGED_BY_TAG, MANAGED_BY_VALUE
from reconciler.cli import main
from reconciler.manifests.load import load_manifests
from reconciler.sandbox.estate import DIRECTORY_ENV_VAR, MANAGEMENT_ACCOUNT
from tests.apply.support import Estate, make_estate

DELETE_TARGETS = {
    "DeleteProvisionedModelThroughput": "provisionedModelId",
    "DeleteCustomModelDeployment": "customModelDeploymentIdentifier",
    "DeleteCustomModel": "modelIdentifier",
    "DeleteResourceShare": "resourceShareArn",
    "DisassociateResourceShare": "resourceShareArn",
}


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every secret the run is handed: assumed-role secret keys and session tokens."""
    secrets: list[str] = []
    original = RefreshableCredentials.__init__

    def capture(self: RefreshableCredentials, *args: Any, **kwargs: Any) -> None:
        given = inspect.signature(original).bind(self, *args, **kwargs).arguments
        secrets.extend([given["secret_key"], given["token"]])
        original(self, *args, **kwargs)

    monkeypatch.setattr(RefreshableCredentials, "__init__", capture)
    return secrets


def _requests(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def _managed(state: dict[str, Any]) -> set[str]:
    arns = {
        arn
        for scope in state["bedrock"].values()
        for kind in ("models", "throughputs", "deployments")
        for arn, item in scope.get(kind, {}).items()
        if item.get("tags", {}).get(MANAGED_BY_TAG) == MANAGED_BY_VALUE
    }
    arns |= {
        arn
        for arn, share in state["ram"]["shares"].items()
        if share.get("tags", {}).get(MANAGED_BY_TAG) == MANAGED_BY_VALUE
    }
    return arns


def _drop_support_summarizer_from_staging(estate: Estate) -> None:
    staging = estate.root / "environments" / "staging.yaml"
    text = staging.read_text()
    staging.write_text(text[: text.index("    - name: support-summarizer")].rstrip() + "\n")


def test_a_full_lifecycle_keeps_every_security_invariant(
    tmp_path: Path,
    recorded: Path,
    credentials: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    estate = make_estate(tmp_path)
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(estate.sandbox_dir))
    manifests = load_manifests(estate.root)
    declared = {e.account_id for e in manifests.environments} | {m.source_account for m in manifests.models}

    assert main(["plan", "--sandbox", "--root", str(estate.root), "--debug"]) == 0
    first = estate.apply()
    assert first.report is not None
    assert first.report.succeeded
    before_prune = estate.state()
    _drop_support_summarizer_from_staging(estate)
    assert main(["plan", "--sandbox", "--prune", "--root", str(estate.root), "--debug"]) == 0
    pruned = estate.apply(prune=True)
    assert pruned.report is not None
    assert pruned.report.succeeded
    # An error path with --debug: an account that cannot be reached.
    estate.settings(unreachable_accounts=["777788889999"])
    assert main(["plan", "--sandbox", "--root", str(estate.root), "--debug"]) == 1
    output = capsys.readouterr()

    requests = _requests(recorded)
    assert requests, "the sandbox recorded nothing"
    shares = [r for r in requests if r["operation"] in ("CreateResourceShare", "UpdateResourceShare")]
    assert shares
    assert all(r["params"].get("allowExternalPrincipals") is False for r in shares), shares

    # The tooling account (the base credentials, where the Backend's lock table lives) is used for the
    # lock and for read-only organization checks; it is never changed otherwise.
    def allowed(request: dict[str, Any]) -> bool:
        if request["account"] in declared:
            return True
        tooling_read = request["operation"].startswith(("List", "Describe", "Get"))
        return bool(
            request["account"] == MANAGEMENT_ACCOUNT and (request["service"] == "dynamodb" or tooling_read)
        )

    outside = {(r["service"], r["operation"], r["account"]) for r in requests if not allowed(r)}
    assert not outside, f"calls into accounts the manifests do not declare: {sorted(outside)}"

    managed = _managed(before_prune)
    deletes = [r for r in requests if r["operation"] in DELETE_TARGETS and r["error"] is None]
    assert deletes, "pruning should have removed the staging deployment"
    for request in deletes:
        target = request["params"][DELETE_TARGETS[request["operation"]]]
        assert target in managed, f"{request['operation']} of {target}, which is not tagged as ours"

    assert credentials, "no role was assumed"
    for secret in credentials:
        assert secret not in output.out
        assert secret not in output.err
