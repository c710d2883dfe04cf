"""`sandbox delete ADDRESS`: the supported way to make an out-of-band change in the sandbox (to try drift)."""

from __future__ import annotations

import pytest

from reconciler.cli import main
from tests.apply.support import Estate
from tests.apply.test_lifecycle_cli import converge, estate
from tests.examples import run_cli

__all__ = ["estate"]  # the fixture, shared with the lifecycle tests


DELETIONS = {  # the deployment first: AWS refuses to delete a model that capacity uses
    "staging/us-east-1/support-summarizer/deployment": "deployment staging-support-summarizer",
    "staging/us-east-1/support-summarizer/copy": "custom model support-summarizer-v1",
}


def test_deletions_are_drift_that_the_next_apply_repairs(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(estate, capsys)
    for address, deleted in DELETIONS.items():
        code, out, err = run_cli(
            capsys, "sandbox", "delete", address, "--sandbox", "--root", str(estate.root)
        )
        assert code == 0, err
        assert f"Deleted {deleted} in " in out
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(estate.root), "-detailed-exitcode")
    assert code == 2
    for address in DELETIONS:
        assert f"+ create {address}" in out, out
    converge(estate, capsys)  # a second copy job re-creates the deleted copy, as in AWS
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(estate.root), "-detailed-exitcode")
    assert (code, out.splitlines()[-1:]) == (0, ["No changes. AWS matches the manifests."]), out


def test_what_aws_refuses_is_refused_with_its_reason(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    converge(estate, capsys)
    address = "prod/us-east-1/financial-analyst/throughput"
    code, _, err = run_cli(capsys, "sandbox", "delete", address, "--root", str(estate.root))
    assert code == 1
    assert f"the sandbox refused to delete {address}: ValidationException:" in err
    assert "commitment term" in err


def test_an_unknown_address_says_what_addresses_look_like(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "delete", "prod/nowhere", "--root", str(estate.root)]) == 1
    err = capsys.readouterr().err
    assert "no resource at address 'prod/nowhere'" in err
    assert "plan --sandbox" in err
