"""`schemas`: write the JSON Schemas of this version into a manifests repository, for editor validation.

Editors that speak the YAML language server read the `# yaml-language-server: $schema=../schemas/...`
modeline at the top of each manifest. A manifests repository separate from this one has no `schemas/`
folder until this command (or `import`) writes one; the copies match the installed version, work offline
and are reviewed like any other file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.manifests.schema import schema_names, schema_text

SCHEMA_FOLDER = "schemas"
# What each manifest folder's modeline names, from models/ or environments/ to <root>/schemas/.
MODELINE = "# yaml-language-server: $schema=../" + SCHEMA_FOLDER + "/{}.schema.json\n"


def write_schemas(folder: Path) -> list[tuple[Path, bool]]:
    """Write every packaged schema into `folder`; (path, changed) for each, unchanged files left alone."""
    if folder.exists() and not folder.is_dir():
        raise ReconcilerError(f"{folder} is a file; give a folder to write the schemas into")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in schema_names():
        path = folder / name
        text = schema_text(name)
        changed = not path.is_file() or path.read_text(encoding="utf-8") != text
        if changed:
            path.write_text(text, encoding="utf-8")
        written.append((path, changed))
    return written


def run(args: argparse.Namespace) -> int:
    if args.write is None:
        for name in schema_names():
            print(name)
        print(f"Write them into a manifests repository with: bedrock-gitops schemas --write {SCHEMA_FOLDER}")
        return 0
    folder = args.write if args.write.is_absolute() else args.root / args.write
    for path, changed in write_schemas(folder):
        print(f"{'Wrote' if changed else 'Unchanged'} {path}")
    print(
        "Commit them. Each manifest's first line points its editor at them:\n"
        f"  models/*.yaml:       {MODELINE.format('model').strip()}\n"
        f"  environments/*.yaml: {MODELINE.format('environment').strip()}\n"
        "Re-run after upgrading bedrock-gitops so that the editor checks what this version accepts."
    )
    return 0


def add_parser(commands: Any, add_common: Any) -> None:
    parser = commands.add_parser(
        "schemas", help="write the manifests' JSON Schemas into a folder (editor validation)"
    )
    add_common(parser)
    parser.set_defaults(run=run)
    parser.add_argument(
        "--write",
        type=Path,
        metavar="DIR",
        help="folder to write them into, relative to --root (the modelines expect 'schemas')",
    )
