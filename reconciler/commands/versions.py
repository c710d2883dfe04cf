"""`versions discover`: find the fine-tuned custom models that are new versions of each Model (its
`spec.discover` rule, in its source account and Region), and append them to models/<name>.yaml with their
provenance as evidence, changing no other line of the file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.manifests.model import Manifests, Model
from reconciler.pipeline import aws_clients, sandbox_requested
from reconciler.promotion.change import (
    ChangedVersion,
    ChangeRecord,
    discover_branch,
    summary_titles,
    write_record,
)
from reconciler.promotion.discovery import NewVersion, new_versions, version_document
from reconciler.promotion.yaml_edit import append_to_list


def _models(manifests: Manifests, names: list[str]) -> list[Model]:
    if not names:
        return [m for m in manifests.models if m.discover is not None]
    chosen = []
    for name in names:
        model = manifests.model(name)
        if model is None:
            known = ", ".join(m.name for m in manifests.models) or "none"
            raise ReconcilerError(f"no model named '{name}' in models/ (models: {known})")
        if model.discover is None:
            raise ReconcilerError(
                f"{model.location.file} has no spec.discover rule, so its new versions cannot be recognised; "
                "add e.g. `discover: {namePrefix: " + model.name + "-}` under spec"
            )
        chosen.append(model)
    return chosen


def discover_new_versions(root: Path, names: list[str], *, sandbox: bool) -> dict[str, list[NewVersion]]:
    """Model name -> its new versions (read-only: nothing is written)."""
    manifests = load_manifests(root)
    models = _models(manifests, names)
    if not models:
        return {}
    from reconciler.aws.custom_models import find_models

    with aws_clients(manifests, root, sandbox=sandbox) as clients:
        return {model.name: new_versions(model, find_models(clients, model)) for model in models}


def write_versions(root: Path, manifests: Manifests, found: dict[str, list[NewVersion]]) -> list[str]:
    """Append the new versions to their model files; the manifests must still load, or nothing is kept."""
    originals: dict[Path, str] = {}
    written: list[str] = []
    for name, versions in found.items():
        if not versions:
            continue
        model = manifests.model(name)
        assert model is not None  # found only for loaded models
        path = root / model.location.file
        text = originals.setdefault(path, path.read_text(encoding="utf-8"))
        for version in versions:
            text = append_to_list(text, ("spec", "versions"), version_document(version), model.location.file)
        path.write_text(text, encoding="utf-8")
        written.append(model.location.file)
    try:
        load_manifests(root)
    except ReconcilerError:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        raise
    return written


def _describe(version: NewVersion) -> str:
    found = version.found
    parts = [f"{version.model} {version.name}: {version.model_arn}"]
    if found.job_name:
        parts.append(f"    fine-tuned by {found.job_name} ({found.job_arn})")
    if found.training_data:
        parts.append(f"    training data {found.training_data}")
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    if args.action != "discover":  # argparse's choices make this unreachable; keep the message anyway
        raise ReconcilerError(
            f"unknown versions action '{args.action}'; use: bedrock-gitops versions discover"
        )
    manifests = load_manifests(args.root)
    found = discover_new_versions(args.root, args.model, sandbox=sandbox_requested(args.sandbox))
    added = [version for versions in found.values() for version in versions]
    written = [] if args.dry_run or not added else write_versions(args.root, manifests, found)
    if args.json:
        payload: list[dict[str, Any]] = [{"model": v.model, **version_document(v)} for v in added]
        print(json.dumps({"added": payload, "files": written, "dryRun": args.dry_run}, indent=2))
    elif not found:
        print("No model declares spec.discover; nothing to look for (see the README: Promotion).")
    elif not added:
        print(f"No new versions of {', '.join(sorted(found))}.")
    else:
        verb = "Would add" if args.dry_run else "Added"
        for version in added:
            print(f"{verb} {_describe(version)}")
        if written:
            print(f"Wrote {', '.join(written)}. Review the evidence, then open a pull request.")
    if args.record and added and not args.dry_run:
        changed = tuple(ChangedVersion(v.model, v.name, v.model_arn, v.evidence) for v in added)
        write_record(
            ChangeRecord(
                "discover", summary_titles(changed, "discover"), discover_branch(), tuple(written), changed
            ),
            args.record,
        )
    return 0


def add_parser(commands: Any, add_common: Any, add_aws: Any) -> None:
    parser = commands.add_parser(
        "versions", help="find new fine-tuned versions of each model (spec.discover)"
    )
    add_common(parser)
    add_aws(parser)
    parser.set_defaults(run=run)
    parser.add_argument("action", choices=["discover"], help="discover: append new versions to models/")
    parser.add_argument(
        "--model", action="append", default=[], metavar="NAME", help="only this model (repeatable)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be added; write nothing")
    parser.add_argument("--json", action="store_true", help="print what was added as JSON")
    parser.add_argument(
        "--record", type=Path, metavar="FILE", help="write the change as JSON for `ci open-pr --record FILE`"
    )
