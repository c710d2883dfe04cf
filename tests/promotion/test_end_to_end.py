"""The promotion pipeline end to end, through the CLI, in the sandbox (issue 15's "Done when"):
fine-tune -> versions discover adds v3 -> promote v3 (dev, then staging: staging is promoted from dev)
-> plan/apply -> status shows v3 eligible for prod -> promote v3 to prod passes the policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.examples import run_cli

APPROVAL = (
    "        approvedBy: maria.lopez\n"
    "        evaluation:\n"
    "          dataset: fin-qa-holdout-2026q4\n"
    "          accuracy: 0.93\n"
    "          rougeL: 0.52\n"
)


def _status(capsys: pytest.CaptureFixture[str], root: Path) -> dict[str, dict[str, object]]:
    code, out, _ = run_cli(
        capsys, "status", "--sandbox", "--json", "--model", "financial-analyst", "--root", str(root)
    )
    assert code == 0
    (model,) = json.loads(out)["models"]
    return {stage["environment"]: stage for stage in model["stages"]}


def test_from_a_finished_fine_tuning_job_to_prod(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(repo)
    staging_file = repo / "environments" / "staging.yaml"
    model_file = repo / "models" / "financial-analyst.yaml"

    assert run_cli(capsys, "sandbox", "fine-tune", "financial-analyst", "--root", root)[0] == 0
    code, out, _ = run_cli(capsys, "versions", "discover", "--sandbox", "--root", root)
    assert code == 0
    assert "Added financial-analyst v3" in out
    assert _status(capsys, repo)["dev"]["eligible"] == ["v3"]

    # Straight to staging is refused, with each rule and its fix; the file is left alone.
    before = staging_file.read_text()
    code, _, err = run_cli(
        capsys, "promote", "financial-analyst", "v3", "--to", "staging", "--sandbox", "--root", root
    )
    assert code == 1
    assert "[promotedFrom]" in err
    assert "[requiredEvidence]" in err
    assert "How to fix: promote financial-analyst v3 to dev first" in err
    assert staging_file.read_text() == before

    assert (
        run_cli(capsys, "promote", "financial-analyst", "v3", "--to", "dev", "--sandbox", "--root", root)[0]
        == 0
    )
    # The reviewers record their approval and the evaluation (what requiredEvidence asks for).
    text = model_file.read_text()
    marker = "        discoveredBy: bedrock-gitops versions discover\n"
    model_file.write_text(text.replace(marker, marker + APPROVAL, 1))

    code, out, _ = run_cli(
        capsys, "promote", "financial-analyst", "v3", "--to", "staging", "--sandbox", "--root", root
    )
    assert code == 0, out
    assert "Promoted financial-analyst v3 to staging in environments/staging.yaml" in out
    assert "+ create staging/us-east-1/financial-analyst/copy" in out
    assert "prod/" not in out  # that environment's plan only
    after = staging_file.read_text()
    assert after == before.replace("      version: v2\n", "      version: v3\n", 1)  # one line changed

    # prod is promoted from staging: not before staging has converged on v3.
    prod = _status(capsys, repo)["prod"]
    assert "v3" not in prod["eligible"]
    (blocked,) = [b for b in prod["blocked"] if b["version"] == "v3"]  # type: ignore[attr-defined]
    assert "staging has not converged" in blocked["findings"][0]["message"]

    assert (
        run_cli(capsys, "sandbox", "set", "time_scale=100000", "--root", root)[0] == 0
    )  # jobs finish at once
    assert run_cli(capsys, "plan", "--sandbox", "--root", root, "-out", str(repo / "p.tfplan"))[0] == 0
    code, out, err = run_cli(capsys, "apply", "--sandbox", "--root", root, str(repo / "p.tfplan"))
    assert code == 0, out + err

    # prod takes what staging has served, verified, for 24h (its soak): stop the fast clock, then let a day
    # pass (how long the apply itself took in simulated time depends on the machine's load).
    assert run_cli(capsys, "sandbox", "set", "time_scale=0", "--root", root)[0] == 0
    assert run_cli(capsys, "sandbox", "advance", "86400", "--root", root)[0] == 0
    stages = _status(capsys, repo)
    assert stages["staging"]["version"] == "v3"
    assert "v3" in stages["prod"]["eligible"]

    code, out, err = run_cli(
        capsys, "promote", "financial-analyst", "v3", "--to", "prod", "--sandbox", "--root", root
    )
    assert code == 0, err
    assert "Promoted financial-analyst v3 to prod" in out
    assert "+ create prod/us-east-1/financial-analyst/copy" in out
    assert "~ update prod/us-east-1/financial-analyst/throughput" in out  # repointed, no downtime
    assert "Error:" not in out
    assert run_cli(capsys, "validate", "--root", root)[0] == 0
