"""Saved plans: JSON shape, exact round trip (Refs included), atomic private files, and clear load errors."""

from __future__ import annotations

import copy
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.core.desired import desired_state
from reconciler.core.diff import compute_plan
from reconciler.core.live import LiveState
from reconciler.core.plan import PLAN_FORMAT_VERSION, Action, Plan, Ref, Removal
from reconciler.core.planfile import (
    load_plan,
    plan_from_json,
    plan_problems,
    plan_to_json,
    save_plan,
    schema_text,
)
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from tests.core.estates import converged

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
DEV, STAGING, PROD = "111122223333", "444455556666", "777788889999"
MODEL = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-pro-v1:0:300k/fa2v2e5f6g7h"
COPY = "prod/us-west-2/financial-analyst/copy"


def sample_plan() -> Plan:
    """Every change kind, Refs at the top of params, nested in a dict and in a list, removals, warnings."""
    return Plan(
        actions=(
            Action(
                address="share/financial-analyst/v2",
                change="create",
                service="ram",
                operation="CreateResourceShare",
                account=DEV,
                region="us-east-1",
                params={
                    "name": "bedrock-gitops-financial-analyst-v2",
                    "resourceArns": [MODEL],
                    "principals": [STAGING, PROD],
                    "allowExternalPrincipals": False,
                    "tags": [{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}],
                },
                reason="the version is pinned in another account",
                after={"model": MODEL, "principals": [STAGING, PROD]},
            ),
            Action(
                address=COPY,
                change="wait",
                service="bedrock",
                operation="GetModelCopyJob",
                account=PROD,
                region="us-west-2",
                params={"jobArn": "arn:aws:bedrock:us-west-2:777788889999:model-copy-job/abc"},
                reason="a copy job is in progress",
                wave=1,
            ),
            Action(
                address="prod/us-west-2/financial-analyst/throughput",
                change="update",
                service="bedrock",
                operation="UpdateProvisionedModelThroughput",
                account=PROD,
                region="us-west-2",
                params={
                    "provisionedModelId": "arn:aws:bedrock:us-west-2:777788889999:provisioned-model/x1",
                    "desiredModelId": Ref(COPY, "targetModelArn"),
                    "nested": {"deep": [Ref(COPY, "jobArn"), {"n": 1, "f": 1.5, "none": None}]},
                },
                reason="the environment pins v2",
                depends_on=(COPY,),
                wave=2,
                before={"version": "v1"},
                after={"version": "v2", "model": Ref(COPY, "targetModelArn")},
            ),
            Action(
                address="dev/us-east-1/old/deployment",
                change="delete",
                service="bedrock",
                operation="DeleteCustomModelDeployment",
                account=DEV,
                region="us-east-1",
                params={"customModelDeploymentIdentifier": "arn:aws:bedrock:us-east-1:111122223333:x"},
                reason="managed by bedrock-gitops and no longer declared (pruning)",
            ),
        ),
        removals=(
            Removal(
                address="staging/us-east-1/legacy/throughput",
                kind="provisioned-throughput",
                account=STAGING,
                region="us-east-1",
                arn="arn:aws:bedrock:us-east-1:444455556666:provisioned-model/old",
                reason="no longer declared",
                blocked_by="committed until 2027-01-01T00:00:00Z",
            ),
        ),
        manifests_fingerprint="a" * 64,
        live_fingerprint="b" * 64,
        created_at="2026-11-25T12:00:00Z",
        prune=True,
        warnings=("the name financial-analyst-v1 is held by an unmanaged model",),
    )


def empty_plan() -> Plan:
    return Plan((), (), "c" * 64, "d" * 64, "2026-11-25T12:00:00Z")


def test_json_shape() -> None:
    document = plan_to_json(sample_plan())
    assert list(document) == [
        "format_version",
        "created_at",
        "prune",
        "manifests_fingerprint",
        "live_fingerprint",
        "has_changes",
        "summary",
        "actions",
        "removals",
        "warnings",
        "findings",
    ]
    assert document["format_version"] == PLAN_FORMAT_VERSION
    assert document["has_changes"] is True
    assert document["summary"] == {"add": 1, "change": 1, "destroy": 1, "wait": 1, "pending_prune": 1}
    update = document["actions"][2]
    assert update["params"]["desiredModelId"] == {"$ref": COPY, "attribute": "targetModelArn"}
    assert update["params"]["nested"]["deep"][0] == {"$ref": COPY, "attribute": "jobArn"}
    assert update["depends_on"] == [COPY]
    assert list(update) == [
        "address",
        "change",
        "service",
        "operation",
        "account",
        "region",
        "params",
        "reason",
        "depends_on",
        "wave",
        "before",
        "after",
    ]
    json.dumps(document)  # JSON-able as is


@pytest.mark.parametrize("plan", [sample_plan(), empty_plan()], ids=["mixed", "empty"])
def test_round_trip_is_exact(plan: Plan) -> None:
    again = plan_from_json(json.loads(json.dumps(plan_to_json(plan))))
    assert again == plan
    update = next((a for a in again.actions if a.change == "update"), None)
    if update is not None:
        assert isinstance(update.params["desiredModelId"], Ref)
        assert isinstance(update.params["nested"]["deep"][0], Ref)
        assert isinstance(update.after["model"], Ref)
        assert update.depends_on == (COPY,)
    assert isinstance(again.actions, tuple)
    assert isinstance(again.removals, tuple)
    assert isinstance(again.warnings, tuple)


def test_planner_output_round_trips_and_validates() -> None:
    desired = desired_state(load_manifests(REPO))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    for live in (LiveState({}), converged(desired)):
        plan = compute_plan(desired, live, manifests_fingerprint="f" * 64, prune=False, now=now)
        document = json.loads(json.dumps(plan_to_json(plan)))
        jsonschema.Draft202012Validator(SCHEMA).validate(document)
        assert plan_from_json(document) == plan


def test_a_request_member_named_dollar_ref_is_refused() -> None:
    plan = sample_plan()
    bad = Action(**{**_fields(plan.actions[0]), "params": {"x": {"$ref": "a", "attribute": "b"}}})
    with pytest.raises(ValueError, match=r"\$ref"):
        plan_to_json(Plan((bad,), (), "a" * 64, "b" * 64, "2026-11-25T12:00:00Z"))


def _fields(action: Action) -> dict[str, Any]:
    return {name: getattr(action, name) for name in Action.__slots__}


# ---- schema ----


def test_the_loaded_schema_is_the_repository_schema() -> None:
    assert json.loads(schema_text()) == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_plans_validate() -> None:
    for plan in (sample_plan(), empty_plan()):
        jsonschema.Draft202012Validator(SCHEMA).validate(plan_to_json(plan))
        assert plan_problems(json.loads(json.dumps(plan_to_json(plan)))) == []


def _set(path: str, value: Any) -> Any:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = document
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        index: Any = int(last) if isinstance(target, list) else last
        if value is _DELETE:
            del target[index]
        else:
            target[index] = value

    return mutate


_DELETE = object()
MUTATIONS = {
    "bad change": (_set("actions/0/change", "replace"), "actions/0/change"),
    "bad service": (_set("actions/0/service", "s3"), "actions/0/service"),
    "missing key": (_set("actions/1/reason", _DELETE), "actions/1"),
    "missing top-level key": (_set("live_fingerprint", _DELETE), "(top level)"),
    "extra top-level key": (_set("extra", 1), "(top level)"),
    "extra action key": (_set("actions/0/colour", "red"), "actions/0"),
    "short account": (_set("actions/0/account", "12345"), "actions/0/account"),
    "account as number": (_set("removals/0/account", 444455556666), "removals/0/account"),
    "bad region": (_set("actions/0/region", "US East"), "actions/0/region"),
    "ref with extra member": (
        _set("actions/2/params/desiredModelId", {"$ref": COPY, "attribute": "a", "x": 1}),
        "actions/2/params/desiredModelId",
    ),
    "ref without attribute": (_set("actions/2/params/nested/deep/0", {"$ref": COPY}), "actions/2/params"),
    "ref as params": (_set("actions/2/params", {"$ref": COPY, "attribute": "a"}), "actions/2/params"),
    "wave negative": (_set("actions/0/wave", -1), "actions/0/wave"),
    "wave as text": (_set("actions/0/wave", "0"), "actions/0/wave"),
    "depends_on as text": (_set("actions/2/depends_on", COPY), "actions/2/depends_on"),
    "bad fingerprint": (_set("manifests_fingerprint", "xyz"), "manifests_fingerprint"),
    "bad removal kind": (_set("removals/0/kind", "bucket"), "removals/0/kind"),
    "summary mismatch": (_set("summary/add", 7), "summary"),
    "has_changes mismatch": (_set("has_changes", False), "has_changes"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutated_plans_do_not_validate(name: str) -> None:
    mutate, where = MUTATIONS[name]
    document = copy.deepcopy(plan_to_json(sample_plan()))
    mutate(document)
    problems = plan_problems(document)
    assert problems, name
    assert problems[0].startswith(where), problems


def test_schema_errors_are_schema_errors_only_where_the_schema_can_tell() -> None:
    # The counts are checked by load_plan, not by the schema: a summary mismatch is still schema-valid.
    document = plan_to_json(sample_plan())
    document["summary"]["add"] = 7
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


# ---- files ----


def test_save_then_load(tmp_path: Path) -> None:
    path = tmp_path / "plans" / "plan.json"
    save_plan(sample_plan(), path)
    assert load_plan(path) == sample_plan()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["plan.json"]
    text = path.read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == plan_to_json(sample_plan())


def test_save_replaces_an_existing_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    save_plan(empty_plan(), path)
    assert load_plan(path) == empty_plan()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_failed_save_keeps_the_old_plan_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.json"
    save_plan(empty_plan(), path)

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        save_plan(sample_plan(), path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    assert load_plan(path) == empty_plan()


def _load_error(path: Path) -> str:
    with pytest.raises(ReconcilerError) as caught:
        load_plan(path)
    return str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    assert _load_error(path) == f"no saved plan at {path}; create one with: bedrock-gitops plan -out {path}"


def test_a_folder(tmp_path: Path) -> None:
    assert _load_error(tmp_path) == (
        f"{tmp_path} is a folder, not a saved plan; create one with: bedrock-gitops plan -out {tmp_path}"
    )


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("Plan: 3 to add, 0 to change, 0 to destroy.\n")
    assert _load_error(path) == (
        f"{path} is not a saved plan (not JSON: Expecting value; line 1, column 1); "
        f"create one with: bedrock-gitops plan -out {path}"
    )


def test_not_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xff\xfe\x00\xd8garbage")
    assert _load_error(path) == (
        f"{path} is not a saved plan (not JSON text); create one with: bedrock-gitops plan -out {path}"
    )


@pytest.mark.parametrize("content", ["[]", '{"hello": "world"}', "3", '{"actions": []}'])
def test_json_that_is_not_a_plan(tmp_path: Path, content: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    assert _load_error(path) == (
        f"{path} is not a saved plan (JSON, but not a bedrock-gitops plan: no format_version); "
        f"create one with: bedrock-gitops plan -out {path}"
    )


def test_a_plan_with_a_missing_member(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    document = plan_to_json(sample_plan())
    del document["live_fingerprint"]
    path.write_text(json.dumps(document))
    assert _load_error(path) == (
        f"{path} is not a valid saved plan:\n"
        "  (top level): 'live_fingerprint' is a required property\n"
        f"create one with: bedrock-gitops plan -out {path}"
    )


def test_a_plan_with_a_bad_action(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    document = plan_to_json(sample_plan())
    document["actions"][0]["change"] = "replace"
    path.write_text(json.dumps(document))
    assert _load_error(path) == (
        f"{path} is not a valid saved plan:\n"
        "  actions/0/change: 'replace' is not one of ['create', 'update', 'delete', 'wait']\n"
        f"create one with: bedrock-gitops plan -out {path}"
    )


def test_many_problems_are_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    document = plan_to_json(sample_plan())
    for action in document["actions"]:
        action["change"] = "replace"
        action["service"] = "s3"
    path.write_text(json.dumps(document))
    message = _load_error(path)
    assert message.count("\n  actions/") == 5
    assert "\n  ... and 3 more\n" in message


def test_a_hand_edited_summary(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    document = plan_to_json(sample_plan())
    document["summary"]["destroy"] = 0
    path.write_text(json.dumps(document))
    assert "summary: {'add': 1, 'change': 1, 'destroy': 0" in _load_error(path)
    assert "does not match the actions and removals" in _load_error(path)


def test_a_plan_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    document = plan_to_json(sample_plan())
    document["format_version"] = PLAN_FORMAT_VERSION + 1
    document["something_new"] = {"the": "future"}
    path.write_text(json.dumps(document))
    assert _load_error(path) == (
        f"{path} was written by a newer bedrock-gitops (plan format {PLAN_FORMAT_VERSION + 1}; this version "
        f"reads up to {PLAN_FORMAT_VERSION}): upgrade bedrock-gitops, or re-plan with this version: "
        f"bedrock-gitops plan -out {path}"
    )
