"""Manifest values that would send calls somewhere else than reviewed: the lock's role in another account
than `lock.account`; a model ARN that is not botocore's (or passes only because Python's `$` matches
before a final newline); a model ARN that does not exist in its source account (a preflight error)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifests.arns import CUSTOM_MODEL_ARN, PARTITIONS, SCHEMA_PATTERN, is_custom_model_arn
from reconciler.manifests.load import load_manifests
from reconciler.sandbox import seed
from tests.policies.conftest import Repo, plan_json, repo

__all__ = ["repo"]

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKEND = "environments/backend.yaml"
MODEL = "models/financial-analyst.yaml"
V1 = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d"


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ManifestErrors) as raised:
        load_manifests(root)
    return [str(error) for error in raised.value.errors]


def test_the_lock_role_must_be_in_the_lock_account(repo: Repo) -> None:
    repo.edit(
        BACKEND,
        "    leaseSeconds:",
        f'    account: "{seed.PROD}"\n    roleArn: arn:aws:iam::{seed.STAGING}:role/Locks\n    leaseSeconds:',
    )
    [error] = errors_of(repo.root)
    assert error.startswith(repo.where(BACKEND, "arn:aws:iam::"))
    assert f"the role is in account {seed.STAGING}, not in account {seed.PROD}" in error
    repo.edit(BACKEND, f"iam::{seed.STAGING}:role/Locks", f"iam::{seed.PROD}:role/Locks")
    assert load_manifests(repo.root).backend.lock_role_arn == f"arn:aws:iam::{seed.PROD}:role/Locks"


def test_a_lock_role_without_the_lock_account_is_refused(repo: Repo) -> None:
    repo.edit(
        BACKEND, "    leaseSeconds:", f"    roleArn: arn:aws:iam::{seed.PROD}:role/Locks\n    leaseSeconds:"
    )
    [error] = errors_of(repo.root)
    assert error.startswith(repo.where(BACKEND, "arn:aws:iam::"))
    assert "lock.roleArn is given without lock.account" in error
    assert f'account: "{seed.PROD}"' in error


@pytest.mark.parametrize(
    ("arn", "valid"),
    [
        (V1, True),
        (V1.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1"), True),
        (V1.replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", "us-gov-west-1"), True),
        (V1.replace("arn:aws:", "arn:aws-iso:"), False),  # a partition Bedrock model sharing does not serve
        (V1.replace("arn:aws:", "arn:aws-anything:"), False),
        (V1 + "\n", False),  # Python's `$` would let this through
        (V1 + "x", False),
        ("x" + V1, False),
        (V1.replace("fa1v1a2b3c4d", "FA1V1A2B3C4D"), False),
        (V1.replace("amazon.nova-pro-v1:0:300k", "imported"), False),
    ],
)
def test_model_arn_pattern_is_botocores_matched_in_full(arn: str, valid: bool) -> None:
    assert is_custom_model_arn(arn) is valid
    assert (re.search(SCHEMA_PATTERN, arn) is not None) is valid  # how jsonschema applies `pattern`
    botocore_pattern = (
        botocore.session.get_session()
        .get_service_model("bedrock")
        .shape_for("CustomModelArn")
        .metadata["pattern"]
    )
    partition = arn.split(":")[1] if arn.startswith("arn:") else ""
    if partition in PARTITIONS and "/imported/" not in arn:
        assert (re.fullmatch(botocore_pattern, arn) is not None) is valid


def test_the_schema_carries_the_code_pattern() -> None:
    schema = json.loads((REPO_ROOT / "schemas" / "model.schema.json").read_text())
    versions = schema["properties"]["spec"]["properties"]["versions"]["items"]["properties"]
    assert versions["modelArn"]["pattern"] == SCHEMA_PATTERN
    assert SCHEMA_PATTERN == "^" + CUSTOM_MODEL_ARN + r"(?!\n)$"


def test_a_model_arn_with_a_trailing_newline_is_a_located_error(repo: Repo) -> None:
    repo.edit(MODEL, f"modelArn: {V1}", f'modelArn: "{V1}\\n"')
    errors = errors_of(repo.root)
    assert any(e.startswith(repo.where(MODEL, f'"{V1}')) for e in errors), errors


def test_a_model_arn_missing_from_its_source_account_is_a_preflight_error(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = V1.replace("fa1v1a2b3c4d", "zzzzzzzzzzzz")
    repo.edit(MODEL, V1, missing)
    code, findings = plan_json(capsys, repo)
    assert code == 1
    [finding] = [f for f in findings if f["rule"] == "preflight/source-model"]
    assert finding["severity"] == "error"
    assert f"{missing} does not exist in its source account {seed.DEV}, us-east-1" in str(finding["message"])
    assert f"{finding['file']}:{finding['line']}:{finding['column']}" == repo.where(MODEL, missing)
