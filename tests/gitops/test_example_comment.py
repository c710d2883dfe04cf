"""docs/example-pr-comment.md is what `python -m reconciler.ci.example` generates today."""

from __future__ import annotations

import pytest

from reconciler.ci.example import DEFAULT_OUT, main


def test_the_example_pr_comment_in_docs_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--check", str(DEFAULT_OUT)])
    assert code == 0, capsys.readouterr().err
    text = DEFAULT_OUT.read_text()
    assert "| 1 | :warning: warning | requiredEvidence |" in text  # one policy warning, shown first
    assert "**How to fix**" in text
    assert "### What happens next" in text
    assert "version: v1 -> v2" in text
