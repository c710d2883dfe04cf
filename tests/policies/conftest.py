"""A copy of the example repository with its own sandbox, and helpers to edit it like a pull request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.examples import example_repo, run_cli


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))

    def where(self, name: str, needle: str, offset: int = 0) -> str:
        """`name:line:column` of the first `needle` in the file (column of its first character + offset)."""
        for number, line in enumerate((self.root / name).read_text().splitlines(), start=1):
            if needle in line:
                return f"{name}:{number}:{line.index(needle) + 1 + offset}"
        raise AssertionError(f"{needle!r} not in {name}")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    return Repo(example_repo(tmp_path, monkeypatch))


def plan_json(capsys: pytest.CaptureFixture[str], repo: Repo) -> tuple[int, list[dict[str, object]]]:
    code, out, _ = run_cli(capsys, "plan", "--sandbox", "--root", str(repo.root), "--json")
    findings: list[dict[str, object]] = json.loads(out)["findings"]
    return code, findings
