"""A saved plan file is compared with a fresh plan, never trusted: each hand edit (findings dropped, prune
flipped, an action added, an action changed, an account added, a wait turned into a delete, a dependency
dropped) is refused, naming the part that does not match, and no AWS write is made (every request recorded
by the sandbox)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import StalePlanError, TamperedPlanError
from reconciler.core.planfile import plan_to_json
from reconciler.core.saved_plan import plan_digest
from reconciler.pipeline import make_plan
from tests.apply.support import Estate, make_estate

READS = ("List", "Get", "Describe")
LOCK_OPERATIONS = {"PutItem", "DeleteItem", "UpdateItem"}
Edit = Callable[[dict[str, Any]], None]


def writes(directory: Path) -> list[str]:
    """Every request that could change AWS, except the apply lock's own item."""
    requests = [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    return [
        f"{r['service']}.{r['operation']} in {r['account']}"
        for r in requests
        if not r["operation"].startswith(READS)
        and not (r["service"] == "dynamodb" and r["operation"] in LOCK_OPERATIONS)
    ]


def saved(estate: Estate) -> dict[str, Any]:
    return plan_to_json(make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir).plan)


def _resummarise(document: dict[str, Any]) -> None:
    """A careful forger keeps the file self-consistent, so that only the comparison can catch it."""
    keys = {"create": "add", "update": "change", "delete": "destroy", "wait": "wait"}
    summary = dict.fromkeys(("add", "change", "destroy", "wait"), 0)
    for action in document["actions"]:
        summary[keys[action["change"]]] += 1
    document["summary"] = {**summary, "pending_prune": len(document["removals"])}
    document["has_changes"] = bool(document["actions"])


def drop_findings(document: dict[str, Any]) -> None:
    document["findings"] = []


def flip_prune(document: dict[str, Any]) -> None:
    document["prune"] = True


def add_action(document: dict[str, Any]) -> None:
    extra = copy.deepcopy(next(a for a in document["actions"] if a["operation"] == "CreateModelCopyJob"))
    extra["address"] = "prod/eu-west-1/financial-analyst/copy"
    extra["region"] = "eu-west-1"
    document["actions"].append(extra)
    _resummarise(document)


def change_action(document: dict[str, Any]) -> None:
    throughput = next(a for a in document["actions"] if a["operation"] == "CreateProvisionedModelThroughput")
    throughput["params"]["modelUnits"] = 5


def wait_that_deletes(document: dict[str, Any]) -> None:
    """A `wait` is not a request to staleness (its job may have finished): smuggle a delete in as one."""
    document["actions"].append(
        {
            "address": "staging/us-east-1/hand-made/wait",
            "change": "wait",
            "service": "bedrock",
            "operation": "DeleteProvisionedModelThroughput",
            "account": "444455556666",
            "region": "us-east-1",
            "params": {"provisionedModelId": "hand-made-throughput"},
            "reason": "waiting",
            "depends_on": [],
            "wave": 0,
            "before": {},
            "after": {},
        }
    )
    _resummarise(document)


def drop_dependency(document: dict[str, Any]) -> None:
    throughput = next(a for a in document["actions"] if a["operation"] == "CreateProvisionedModelThroughput")
    throughput["depends_on"] = []


def add_account(document: dict[str, Any]) -> None:
    share = next(a for a in document["actions"] if a["operation"] == "CreateResourceShare")
    share["params"]["principals"] = [*share["params"]["principals"], "999999999999"]
    copied = copy.deepcopy(next(a for a in document["actions"] if a["operation"] == "CreateModelCopyJob"))
    copied.update(address="stranger/us-east-1/financial-analyst/copy", account="999999999999")
    document["actions"].append(copied)
    _resummarise(document)


EDITS: dict[str, tuple[Edit, str]] = {
    "findings dropped": (drop_findings, "findings: 1 policy/preflight error(s) of a fresh plan are missing"),
    "prune flipped": (flip_prune, "prune: the file says true"),
    "action added": (add_action, "prod/eu-west-1/financial-analyst/copy: no longer needed"),
    "action changed": (change_action, "request changed (modelUnits 5 in the plan, 1 now)"),
    "account added": (add_account, "accounts: the file acts in 999999999999"),
    "wait that deletes": (wait_that_deletes, "a wait that calls bedrock.DeleteProvisionedModelThroughput"),
    "dependency dropped": (drop_dependency, "depends_on differs from a fresh plan's (missing "),
}


def test_every_hand_edit_is_refused_and_no_aws_write_is_made(tmp_path: Path, recorded: Path) -> None:
    estate = make_estate(tmp_path)
    # One policy error to hide: prod's maxModelUnits is 2.
    estate.edit("environments/prod.yaml", "modelUnits: 1", "modelUnits: 5")
    broken = saved(estate)
    assert [f["rule"] for f in broken["findings"] if f["severity"] == "error"] == ["maxModelUnits"]
    estate.edit("environments/prod.yaml", "modelUnits: 5", "modelUnits: 1")
    clean = saved(estate)
    assert not [f for f in clean["findings"] if f["severity"] == "error"]
    before = estate.resources()
    refusals = []
    for name, (edit, expected) in EDITS.items():
        document = copy.deepcopy(broken if name == "findings dropped" else clean)
        if name == "findings dropped":
            estate.edit("environments/prod.yaml", "modelUnits: 1", "modelUnits: 5")
        edit(document)
        planfile = tmp_path / f"{name.replace(' ', '-')}.tfplan"
        planfile.write_text(json.dumps(document))
        with pytest.raises((TamperedPlanError, StalePlanError)) as refused:
            estate.apply(planfile)
        if name == "findings dropped":
            estate.edit("environments/prod.yaml", "modelUnits: 5", "modelUnits: 1")
        message = str(refused.value)
        assert expected in message, f"{name}: {message}"
        assert "Nothing was applied" in message, message
        refusals.append(name)
    assert refusals == list(EDITS)
    assert writes(recorded) == []
    assert estate.resources() == before


def test_an_unedited_saved_plan_is_applied_and_its_digest_is_in_the_report(tmp_path: Path) -> None:
    estate = make_estate(tmp_path)
    plan = make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir).plan
    planfile = tmp_path / "release.tfplan"
    planfile.write_text(json.dumps(plan_to_json(plan), indent=3))  # whitespace is not content
    result = estate.apply(planfile)
    assert result.report is not None
    assert result.report.succeeded
    assert result.report.plan_digest == plan_digest(plan)
    assert result.report.plan_digest.startswith("sha256:")
    assert len(result.report.plan_digest) == 71


def test_prune_is_taken_from_the_command_line_not_the_file(tmp_path: Path) -> None:
    """A plan made with `plan --prune` must be applied with `apply --prune`: the file alone cannot prune."""
    estate = make_estate(tmp_path)
    plan = make_plan(estate.root, sandbox=True, sandbox_dir=estate.sandbox_dir, prune=True).plan
    planfile = tmp_path / "pruning.tfplan"
    planfile.write_text(json.dumps(plan_to_json(plan)))
    with pytest.raises(TamperedPlanError, match="apply --prune FILE"):
        estate.apply(planfile)
    result = estate.apply(planfile, prune=True)
    assert result.report is not None
    assert result.report.succeeded
