"""The promotion graph (stages, candidates, eligibility through the policies) and promotion edits, on the
example manifests, without AWS (`--offline`, `--no-plan`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.manifests.load import load_manifests
from reconciler.promoting import offline_judge
from reconciler.promotion.status import mermaid, model_status, stage_order, statuses
from tests.examples import REPO


def test_stages_follow_promoted_from_and_candidates_stop_at_the_upstream_version(repo: Path) -> None:
    manifests = load_manifests(repo)
    assert [e.name for e in stage_order(manifests)] == ["dev", "staging", "prod"]
    (financial, _) = statuses(manifests, offline_judge)
    stages = {s.environment: s for s in financial.stages}
    assert (stages["dev"].version, stages["staging"].version, stages["prod"].version) == ("v2", "v2", "v1")
    assert stages["dev"].eligible == ()  # nothing newer than v2 yet
    assert stages["prod"].eligible == ("v2",)  # staging runs v2; manifest policies only (offline)


def test_a_candidate_the_policies_refuse_is_blocked_with_the_rule(repo: Path) -> None:
    manifests = load_manifests(repo)
    model = manifests.model("support-summarizer")
    assert model is not None
    prod = {s.environment: s for s in model_status(manifests, model, offline_judge).stages}["prod"]
    assert prod.version is None  # prod does not run it
    (blocked,) = prod.blocked
    assert blocked.version == "v1"
    assert {f.rule for f in blocked.findings} == {"requiredEvidence"}


def test_status_prints_text_json_and_a_mermaid_graph(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--offline", "--root", str(repo)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"prod\s+runs v1\s+<- staging\s+eligible next: v2", text)
    assert main(["status", "--offline", "--json", "--root", str(repo)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["model"] for m in data["models"]] == ["financial-analyst", "support-summarizer"]
    assert (
        main(["status", "--offline", "--markdown", "--model", "financial-analyst", "--root", str(repo)]) == 0
    )
    markdown = capsys.readouterr().out
    assert "```mermaid\nflowchart LR\n" in markdown
    assert '  s1 -- "next: v2" --> s2' in markdown


def test_mermaid_labels_are_inert() -> None:
    from reconciler.promotion.status import ModelStatus, Stage

    status = ModelStatus("m", ("v1",), (Stage('a"]; click', "v1", None, (), ()),))
    graph = mermaid(status)
    assert '"]; click' not in graph
    assert "#34;" in graph


def test_promote_adds_a_pin_with_the_upstream_capacity_and_sets_regions(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = repo / "environments" / "prod.yaml"
    before = prod.read_text()
    argv = ["promote", "support-summarizer", "v1", "--to", "prod", "--no-plan", "--root", str(repo)]
    assert main(argv) == 1  # prod requires evidence support-summarizer v1 lacks
    err = capsys.readouterr().err
    assert "[requiredEvidence]" in err
    assert "How to fix:" in err
    assert prod.read_text() == before
    model = repo / "models" / "support-summarizer.yaml"
    model.write_text(model.read_text().replace("rougeL: 0.52", "rougeL: 0.52\n          accuracy: 0.9"))
    assert main(argv) == 0
    after = prod.read_text()
    assert after.startswith(before)  # a new pin at the end of models; nothing else changed
    added = after[len(before) :]
    assert added.startswith("    - name: support-summarizer\n      version: v1\n")
    assert added.endswith("      capacity:\n        type: on-demand\n")  # staging's capacity

    staging = repo / "environments" / "staging.yaml"
    before = staging.read_text()
    argv = ["promote", "financial-analyst", "v1", "--to", "staging", "--regions", "us-east-1", "--no-plan"]
    assert main([*argv, "--root", str(repo)]) == 0
    after = staging.read_text()
    assert after == before.replace(
        "      version: v2\n", "      version: v1\n      regions:\n        - us-east-1\n", 1
    )
    assert main([*argv, "--root", str(repo)]) == 0
    assert "already pins" in capsys.readouterr().out

    dev = repo / "environments" / "dev.yaml"
    text = dev.read_text()
    dev.write_text(text[: text.index("    - name: support-summarizer")])  # dev no longer runs it
    argv = ["promote", "support-summarizer", "v1", "--to", "dev", "--no-plan", "--root", str(repo)]
    assert main(argv) == 1
    assert "add the pin to environments/dev.yaml by hand" in capsys.readouterr().err


def test_unknown_names_are_clear_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expected in (
        (["promote", "nope", "v1", "--to", "prod"], "no model named 'nope'"),
        (["promote", "financial-analyst", "v9", "--to", "prod"], "has no version 'v9' (versions: v1, v2)"),
        (["promote", "financial-analyst", "v1", "--to", "qa"], "no environment named 'qa'"),
    ):
        assert main([*argv, "--no-plan", "--root", str(repo)]) == 1
        assert expected in capsys.readouterr().err


def test_the_readme_status_example_is_up_to_date() -> None:
    from reconciler.promotion.status import render_markdown

    readme = (REPO / "README.md").read_text()
    shown = readme.split("<!-- STATUS-EXAMPLE:START -->\n", 1)[1].split("<!-- STATUS-EXAMPLE:END -->", 1)[0]
    manifests = load_manifests(REPO)
    expected = render_markdown(statuses(manifests, offline_judge, ["financial-analyst"]))
    assert shown == expected.replace("#### financial-analyst\n\n", ""), (
        "README.md's status example is out of date: paste the output of "
        "`bedrock-gitops status --offline --markdown --model financial-analyst` (without its heading) there"
    )


def test_a_new_pin_serves_where_the_upstream_pin_does(repo: Path) -> None:
    from reconciler.promotion.promote import Promotion, promoted_text
    from reconciler.promotion.yaml_edit import set_list_value

    staging = repo / "environments" / "staging.yaml"
    path = ("spec", "models", 1, "regions")
    staging.write_text(set_list_value(staging.read_text(), path, ["us-east-1"], "version", "staging.yaml"))
    manifests = load_manifests(repo)
    prod = next(e for e in manifests.environments if e.name == "prod")
    text = (repo / "environments" / "prod.yaml").read_text()
    edited = promoted_text(text, manifests, prod, Promotion("support-summarizer", "v1", "prod"))
    assert edited[len(text) :] == (
        "    - name: support-summarizer\n      version: v1\n      regions:\n        - us-east-1\n"
        "      capacity:\n        type: on-demand\n"
    )
