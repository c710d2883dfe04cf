"""The pure core never talks to AWS: manifests/ and core/ import neither boto3/botocore nor our AWS edge."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
PURE_PACKAGES = ("manifests", "core", "policies", "comment", "adopt", "promotion")
FORBIDDEN = ("boto3", "botocore", "moto", "reconciler.aws", "reconciler.sandbox")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    sorted(p for package in PURE_PACKAGES for p in (PACKAGE / package).rglob("*.py")),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_pure_module_imports_nothing_from_aws(path: Path) -> None:
    bad = {m for m in _imported_modules(path) if m.startswith(FORBIDDEN)}
    assert not bad, f"{path} imports {sorted(bad)}: keep AWS access in reconciler/aws"


def test_loading_the_core_loads_no_aws_sdk() -> None:
    modules = [
        f"reconciler.{package}.{p.stem}"
        for package in PURE_PACKAGES
        for p in sorted((PACKAGE / package).glob("*.py"))
        if p.stem != "__init__"
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto'))\n"
        + "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
