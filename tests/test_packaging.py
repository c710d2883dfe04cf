"""What users install is what we test: the wheel carries the schemas, data files and templates.

The installed artifact itself (wheel in a fresh venv, the pre-commit hook by repo:/rev:) is exercised by
.ci/run through tests/packaging/smoke.sh; these tests catch the same mistakes in a second, from the checkout.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

from reconciler.manifests.schema import schema_names, schema_text

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "reconciler"


def test_the_packaged_schemas_are_the_top_level_schemas() -> None:
    top_level = sorted(p.name for p in (REPO / "schemas").glob("*.schema.json"))
    assert schema_names() == top_level, "run `bash .ci/sync-schemas` (the pre-commit hook does it)"
    for name in top_level:
        assert schema_text(name) == (REPO / "schemas" / name).read_text(encoding="utf-8"), (
            f"reconciler/schemas/{name} differs from schemas/{name}: run `bash .ci/sync-schemas`"
        )


def test_every_schema_is_json_with_a_stable_id() -> None:
    for name in schema_names():
        schema = json.loads(schema_text(name))
        assert schema["$id"].endswith(f"/schemas/{name}"), name


def test_every_data_file_in_the_package_is_declared_package_data() -> None:
    """A file under reconciler/ that is not Python and not declared is missing from the wheel."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = declared["reconciler"]
    data_files = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    undeclared = [name for name in data_files if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert undeclared == [], f"add these to [tool.setuptools.package-data] in pyproject.toml: {undeclared}"
