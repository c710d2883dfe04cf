"""`bedrock-gitops import`: manifests written from a live estate; `plan` right after shows no changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.applying import ApplyRequest, apply
from reconciler.aws.executor import ExecutionOptions
from reconciler.cli import main
from reconciler.pipeline import make_plan
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.seed import DEV, PROD, STAGING, SUPPORT_SUMMARIZER_V1
from tests.sandbox.clients import client

ENVIRONMENTS = ["-e", f"dev={DEV}", "-e", f"staging={STAGING}", "-e", f"prod={PROD}"]


def _dev_deployment(sandbox_dir: Path) -> None:
    """An on-demand deployment made by hand (boto3, in the dev account), named as bedrock-gitops would."""
    with SandboxEstate.open(sandbox_dir) as estate:
        client(estate, "bedrock", DEV).create_custom_model_deployment(
            modelDeploymentName="dev-support-summarizer", modelArn=SUPPORT_SUMMARIZER_V1
        )


def _import(root: Path, *extra: str) -> int:
    return main(["import", "--sandbox", "--root", str(root), "--regions", "us-east-1,us-west-2", *extra])


def test_import_after_an_apply_reproduces_the_estate_and_plan_shows_no_changes(
    manifests_repo: Path, sandbox_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = ApplyRequest(
        root=manifests_repo,
        sandbox=True,
        sandbox_dir=sandbox_dir,
        options=ExecutionOptions(max_workers=8, poll_seconds=300),
    )
    result = apply(request, confirm=lambda _plan: True, clock=SandboxClock(sandbox_dir))
    assert result.report is not None
    assert result.report.succeeded
    adopted = tmp_path / "adopted"
    assert _import(adopted, *ENVIRONMENTS) == 0
    out = capsys.readouterr().out
    assert "Imported 2 models and 3 environments" in out
    prod = (adopted / "environments" / "prod.yaml").read_text()
    assert prod.startswith("# yaml-language-server: $schema=../schemas/environment.schema.json")
    for manifest in [*adopted.glob("models/*.yaml"), *adopted.glob("environments/*.yaml")]:
        target = manifest.read_text().splitlines()[0].split("$schema=", 1)[1]
        schema = (manifest.parent / target).resolve()
        assert json.loads(schema.read_text())["$id"].endswith(target.rsplit("/", 1)[1]), manifest
    assert "commitment: OneMonth" in prod
    assert "kmsKeys:" in prod
    assert main(["validate", "--root", str(adopted)]) == 0
    plan = make_plan(adopted, sandbox=True, sandbox_dir=sandbox_dir).plan
    assert plan.actions == (), [a.address for a in plan.actions]


def test_import_of_resources_made_with_boto3(
    manifests_repo: Path, sandbox_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dev_deployment(sandbox_dir)
    adopted = tmp_path / "adopted"
    assert _import(adopted, "-e", f"dev={DEV}") == 0
    dev = (adopted / "environments" / "dev.yaml").read_text()
    assert "name: support-summarizer" in dev
    assert "type: on-demand" in dev
    assert "version: v1" in dev
    plan = make_plan(adopted, sandbox=True, sandbox_dir=sandbox_dir).plan
    assert plan.actions == ()


def test_import_refuses_to_overwrite_and_explains_bad_arguments(
    manifests_repo: Path, sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _import(manifests_repo, "-e", "Prod=12") == 1
    assert "is not NAME=ACCOUNT" in capsys.readouterr().err
    shutil.rmtree(manifests_repo / "models")
    _dev_deployment(sandbox_dir)
    assert _import(manifests_repo, "-e", f"dev={DEV}") == 1
    assert "already exist" in capsys.readouterr().err
