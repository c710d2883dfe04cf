"""The loader: the examples load, and every bad manifest gets a located, actionable error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifests.load import load_manifests
from tests.examples import copy_examples

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_examples(tmp_path)


def edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def errors_of(repo: Path) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(repo)
    return [str(error) for error in caught.value.errors]


def line_of(repo: Path, name: str, needle: str) -> int:
    lines = (repo / name).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_examples_load() -> None:
    manifests = load_manifests(REPO)
    assert [m.name for m in manifests.models] == ["financial-analyst", "support-summarizer"]
    assert [e.name for e in manifests.environments] == ["dev", "prod", "staging"]
    prod = next(e for e in manifests.environments if e.name == "prod")
    assert prod.account_id == "777788889999"
    assert prod.regions == ("us-east-1",)
    assert prod.models[0].capacity.commitment == "OneMonth"
    analyst = manifests.model("financial-analyst")
    assert analyst is not None
    assert [v.name for v in analyst.versions] == ["v1", "v2"]
    assert analyst.versions[1].evidence["approvedBy"] == "maria.lopez"


def test_fingerprint_changes_with_any_byte(repo: Path) -> None:
    before = load_manifests(repo).fingerprint
    edit(repo, "environments/prod.yaml", "name: prod", "name: prod  # comment")
    assert load_manifests(repo).fingerprint != before


# Each case: (file, old text, new text, needle on the expected error line, expected message part).
BAD_CASES = {
    "account id not 12 digits": (
        "environments/prod.yaml",
        '"777788889999"',
        '"77778888999"',
        "id:",
        "must be a 12-digit AWS account id",
    ),
    "account id unquoted number": (
        "environments/prod.yaml",
        '"777788889999"',
        "777788889999",
        "id:",
        "quote it",
    ),
    "unknown key with suggestion": (
        "environments/prod.yaml",
        "  regions:\n",
        "  region:\n",
        "region:",
        "did you mean 'regions'?",
    ),
    "not a Bedrock Region": (
        "environments/staging.yaml",
        "    - us-east-1\n",
        "    - us-west-9\n",
        "us-west-9",
        "not a Region where Amazon Bedrock",
    ),
    "misspelled Region format": (
        "environments/staging.yaml",
        "    - us-east-1\n",
        "    - us_east_1\n",
        "us_east_1",
        "is not an AWS Region name",
    ),
    "unknown model": (
        "environments/prod.yaml",
        "- name: financial-analyst",
        "- name: financial-analyzt",
        "financial-analyzt",
        "unknown model 'financial-analyzt'",
    ),
    "unknown version": (
        "environments/prod.yaml",
        "version: v1",
        "version: v9",
        "version: v9",
        "has no version 'v9'",
    ),
    "capacity type not allowed": (
        "environments/dev.yaml",
        "type: none",
        "type: serverless",
        "type: serverless",
        "use one of",
    ),
    "provisioned without model units": (
        "environments/prod.yaml",
        "        modelUnits: 1\n",
        "",
        "capacity:",
        "'modelUnits'",
    ),
    "commitment not allowed": (
        "environments/prod.yaml",
        "commitment: OneMonth",
        "commitment: OneYear",
        "OneYear",
        "use one of",
    ),
    "model ARN malformed": (
        "models/financial-analyst.yaml",
        "custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d",
        "custom-model/my-model",
        "custom-model/my-model",
        "is not a Bedrock custom model ARN",
    ),
    "model ARN in another account": (
        "models/financial-analyst.yaml",
        "us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d",
        "us-east-1:999988887777:custom-model/amazon.nova-pro-v1:0:300k/fa1v1a2b3c4d",
        "999988887777",
        "but the model's source is account 111122223333",
    ),
    "role in another account": (
        "environments/prod.yaml",
        "arn:aws:iam::777788889999:role",
        "arn:aws:iam::444455556666:role",
        "roleArn:",
        "the role is in account 444455556666, not in account 777788889999",
    ),
    "wrong apiVersion": (
        "environments/prod.yaml",
        "apiVersion: bedrock-gitops.io/v1alpha1",
        "apiVersion: bedrock-gitops.io/v2",
        "apiVersion:",
        "unsupported apiVersion",
    ),
    "kind in the wrong folder": (
        "environments/prod.yaml",
        "kind: Environment",
        "kind: Model",
        "kind:",
        "move the file to models/",
    ),
    "invalid YAML": (
        "environments/prod.yaml",
        "  regions:\n",
        "  regions: [\n",
        "- us-east-1",
        "invalid YAML",
    ),
    "duplicate key": (
        "environments/prod.yaml",
        "  name: prod\n",
        "  name: prod\n  name: prod2\n",
        "prod2",
        "duplicate key 'name'",
    ),
    "pin Region not served": (
        "environments/staging.yaml",
        "    - name: support-summarizer\n      version: v1\n",
        "    - name: support-summarizer\n      version: v1\n      regions:\n        - eu-west-1\n",
        "- eu-west-1",
        "is not one of environment 'staging''s Regions",
    ),
    "KMS key for another Region": (
        "environments/prod.yaml",
        "us-east-1: arn:aws:kms:us-east-1",
        "us-east-1: arn:aws:kms:eu-west-1",
        "arn:aws:kms:eu-west-1",
        "is in Region eu-west-1",
    ),
    "model units zero": (
        "environments/prod.yaml",
        "modelUnits: 1",
        "modelUnits: 0",
        "modelUnits: 0",
        "at least 1",
    ),
    "name with capitals": (
        "environments/prod.yaml",
        "  name: prod\n",
        "  name: Prod\n",
        "name: Prod",
        "lowercase letters, digits",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_manifest_is_located_and_explained(repo: Path, case: str) -> None:
    name, old, new, needle, message = BAD_CASES[case]
    edit(repo, name, old, new)
    errors = errors_of(repo)
    expected_line = line_of(repo, name, needle)
    matching = [e for e in errors if message in e]
    assert matching, f"no error mentions {message!r}: {errors}"
    assert any(e.startswith(f"{name}:{expected_line}:") for e in matching), errors
    assert all("hint:" in e for e in matching), errors


def test_duplicate_model_names_across_files(repo: Path) -> None:
    shutil.copy(repo / "models/financial-analyst.yaml", repo / "models/copy.yaml")
    errors = errors_of(repo)
    assert any("model 'financial-analyst' is also defined in models/" in e for e in errors), errors


def test_two_environments_in_one_account(repo: Path) -> None:
    edit(repo, "environments/staging.yaml", '"444455556666"', '"777788889999"')
    edit(repo, "environments/staging.yaml", "arn:aws:iam::444455556666", "arn:aws:iam::777788889999")
    errors = errors_of(repo)
    assert any("already the account of environment" in e for e in errors), errors


def test_all_errors_of_a_run_are_reported_together(repo: Path) -> None:
    edit(repo, "environments/prod.yaml", "version: v1", "version: v9")
    edit(repo, "environments/staging.yaml", "    - us-east-1\n", "    - us-west-9\n")
    edit(repo, "models/support-summarizer.yaml", "  source:", "  sourse:")
    errors = errors_of(repo)
    files = {e.split(":")[0] for e in errors}
    assert files == {"environments/prod.yaml", "environments/staging.yaml", "models/support-summarizer.yaml"}


def test_empty_and_multi_document_files(repo: Path) -> None:
    (repo / "environments/empty.yaml").write_text("")
    (repo / "models/two.yaml").write_text("a: 1\n---\nb: 2\n")
    errors = errors_of(repo)
    assert any(e.startswith("environments/empty.yaml:1:1: error: the file is empty") for e in errors)
    assert any(e.startswith("models/two.yaml:3:1:") and "more than one YAML document" in e for e in errors)


def test_no_manifests_at_all(tmp_path: Path) -> None:
    errors = errors_of(tmp_path)
    assert "no manifests found" in errors[0]


def test_source_account_without_role(repo: Path) -> None:
    (repo / "environments/dev.yaml").unlink()
    errors = errors_of(repo)
    assert any("no IAM role to assume in the source account 111122223333" in e for e in errors), errors


def test_the_role_of_each_account(repo: Path) -> None:
    """An account's environment names its role, ahead of a model's spec.source.roleArn in that account."""
    manifests = load_manifests(repo)
    expected = {e.account_id: e.role_arn for e in manifests.environments}
    assert manifests.roles_by_account() == expected
    assert manifests.role_for_account("777788889999") == expected["777788889999"]
    assert manifests.role_for_account("999999999999") is None

    source_role = "arn:aws:iam::111122223333:role/model-owner"
    for name in ("models/support-summarizer.yaml", "models/financial-analyst.yaml"):
        edit(repo, name, "region: us-east-1\n", f"region: us-east-1\n    roleArn: {source_role}\n")
    manifests = load_manifests(repo)
    assert {m.source_role_arn for m in manifests.models} == {source_role}
    assert manifests.roles_by_account() == expected
