"""`sandbox fine-tune` + `versions discover` through the CLI, in the sandbox."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.manifests.model import DiscoverRule, Location, Model, ModelVersion
from reconciler.promotion.discovery import FoundModel, new_versions, next_version_names

# The schema's (and CreateModelCopyJob.sourceModelArn's) form of a custom model ARN.
REAL_FORM = re.compile(
    r"^arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon\.nova-pro-v1:0:300k/[a-z0-9]{12}$"
)


def test_fine_tune_then_discover_appends_v3_with_its_provenance_and_nothing_else(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "models" / "financial-analyst.yaml"
    before = path.read_text()
    assert main(["sandbox", "fine-tune", "financial-analyst", "--root", str(repo)]) == 0
    assert "Completed" in capsys.readouterr().out

    record = repo / "change.json"
    argv = ["versions", "discover", "--sandbox", "--root", str(repo), "--record", str(record)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Added financial-analyst v3" in out

    after = path.read_text()
    assert after.startswith(before)  # byte for byte: the new entry is appended after the last one
    added = after[len(before) :]
    assert added.startswith("    - name: v3\n      modelArn: arn:aws:bedrock:")
    arn = re.search(r"modelArn: (\S+)", added).group(1)  # type: ignore[union-attr]
    assert REAL_FORM.match(arn)
    assert "# yaml-language-server" in after
    assert "discover:                          # `versions discover`" in after
    needles = ("customizationJob:", "model-customization-job/", "trainingData: s3://", "hyperParameters:")
    for needle in needles:
        assert needle in added

    change = json.loads(record.read_text())
    assert change["kind"] == "discover"
    assert change["files"] == ["models/financial-analyst.yaml"]
    assert [(v["model"], v["version"]) for v in change["versions"]] == [("financial-analyst", "v3")]

    assert main(["validate", "--root", str(repo)]) == 0
    assert main(["versions", "discover", "--sandbox", "--root", str(repo)]) == 0
    assert "No new versions" in capsys.readouterr().out
    assert path.read_text() == after


def test_dry_run_writes_nothing_and_a_model_without_a_rule_gets_advice(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "fine-tune", "support-summarizer", "--root", str(repo)]) == 0
    path = repo / "models" / "support-summarizer.yaml"
    before = path.read_text()
    assert main(["versions", "discover", "--sandbox", "--dry-run", "--root", str(repo)]) == 0
    assert "Would add support-summarizer v2" in capsys.readouterr().out
    assert path.read_text() == before

    path.write_text(before.replace("  discover:\n    namePrefix: support-summarizer-\n", ""))
    argv = ["versions", "discover", "--sandbox", "--model", "support-summarizer", "--root", str(repo)]
    assert main(argv) == 1
    assert "no spec.discover rule" in capsys.readouterr().err


def _model(rule: DiscoverRule, versions: tuple[str, ...]) -> Model:
    where = Location("models/m.yaml", 1, 1)
    listed = tuple(
        ModelVersion(name, f"arn:aws:bedrock:us-east-1:111122223333:custom-model/a.b/{name:0>12}", where)
        for name in versions
    )
    return Model("m", "111122223333", "us-east-1", listed, where, discover=rule)


def _found(
    name: str, job: str, suffix: str, *, status: str = "Active", account: str = "111122223333"
) -> FoundModel:
    return FoundModel(
        arn=f"arn:aws:bedrock:us-east-1:{account}:custom-model/amazon.nova-lite-v1:0:300k/{suffix}",
        name=name,
        created=datetime(2026, 11, int(suffix[-1]) + 1, tzinfo=UTC),
        status=status,
        base_model_arn="arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0:300k",
        job_name=job,
    )


def test_every_given_rule_must_match_and_new_versions_are_numbered_oldest_first() -> None:
    rule = DiscoverRule(base_model="amazon.nova-lite-v1:0:300k", name_prefix="m-", job_name_prefix="m-train")
    found = [
        _found("m-b", "m-train-2", "bbbbbbbbbbb2"),
        _found("m-a", "m-train-1", "aaaaaaaaaaa1"),
        _found("m-c", "other-job", "ccccccccccc3"),  # job name does not match
        _found("x-d", "m-train-4", "ddddddddddd4"),  # model name does not match
        _found("m-e", "m-train-5", "eeeeeeeeeee5", status="Creating"),  # not a version yet
        _found("m-f", "m-train-6", "fffffffffff6", account="444455556666"),  # not the source account
    ]
    added = new_versions(_model(rule, ("v1", "v2")), found)
    assert [(v.name, v.found.name) for v in added] == [("v3", "m-a"), ("v4", "m-b")]
    assert added[0].evidence["customModel"]["name"] == "m-a"
    wrong_base = DiscoverRule(base_model="amazon.titan-text-express-v1:0:8k")
    assert new_versions(_model(wrong_base, ("v1",)), found) == []


def test_version_names_continue_after_the_highest_number() -> None:
    assert next_version_names(["v1", "v7", "beta"], 2) == ["v8", "v9"]
    assert next_version_names(["first"], 1) == ["v1"]
