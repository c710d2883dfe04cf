"""`schemas --write DIR`: a manifests repository of its own gets the schemas its modelines point at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_write_puts_every_schema_where_the_modelines_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schemas", "--root", str(tmp_path), "--write", "schemas"]) == 0
    out = capsys.readouterr().out
    written = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert written == sorted(p.name for p in (REPO / "schemas").glob("*.schema.json"))
    for name in written:
        assert (tmp_path / "schemas" / name).read_text() == (REPO / "schemas" / name).read_text()
    assert "$schema=../schemas/model.schema.json" in out
    # From models/ the modeline's relative path reaches the written file.
    model_schema = (tmp_path / "models" / "../schemas/model.schema.json").resolve()
    assert json.loads(model_schema.read_text())["title"]


def test_write_again_leaves_current_files_alone_and_refreshes_stale_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schemas", "--root", str(tmp_path), "--write", "schemas"]) == 0
    (tmp_path / "schemas" / "model.schema.json").write_text("{}")
    capsys.readouterr()
    assert main(["schemas", "--root", str(tmp_path), "--write", "schemas"]) == 0
    out = capsys.readouterr().out
    assert f"Wrote {tmp_path / 'schemas' / 'model.schema.json'}" in out
    assert f"Unchanged {tmp_path / 'schemas' / 'plan.schema.json'}" in out


def test_without_write_lists_the_schemas_and_says_how(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas"]) == 0
    out = capsys.readouterr().out
    assert "model.schema.json" in out
    assert "bedrock-gitops schemas --write schemas" in out


def test_a_file_in_the_way_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "schemas").write_text("not a folder")
    assert main(["schemas", "--root", str(tmp_path), "--write", "schemas"]) == 1
    assert "is a file; give a folder" in capsys.readouterr().err
