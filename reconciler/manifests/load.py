"""Load every manifest under a repository root, validate it, and check the references between files.

All problems of a run are collected and raised together as one `ManifestErrors`, each located to
file:line:column; nothing here touches AWS.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from reconciler.errors import ManifestError, ManifestErrors, ReconcilerError
from reconciler.manifests.build import build_backend, build_environment, build_model
from reconciler.manifests.model import Backend, Environment, Manifests, Model
from reconciler.manifests.policy_checks import policy_errors
from reconciler.manifests.references import backend_errors, reference_errors
from reconciler.manifests.schema import schema_errors
from reconciler.manifests.verification import verify_errors
from reconciler.manifests.yaml_nodes import LocatedDocument, parse_document

API_VERSION = "bedrock-gitops.io/v1alpha1"
# Which kind each folder holds.
FOLDERS = {"models": "Model", "environments": "Environment"}
# The one file of environments/ that holds the apply lock's settings instead of an environment.
BACKEND_FILE = "environments/backend.yaml"
SUFFIXES = (".yaml", ".yml")
# The largest manifest read (README, "Limits"): real ones are a few kilobytes; a 10 MB one validates in ~4 s.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def manifest_files(root: Path) -> list[Path]:
    """Every manifest file under root's models/ and environments/ folders, in a stable order."""
    return sorted(
        path
        for folder in FOLDERS
        if (root / folder).is_dir()
        for path in (root / folder).rglob("*")
        if path.suffix in SUFFIXES and path.is_file()
    )


def load_manifests(root: Path) -> Manifests:
    """The validated manifests under `root`, or ManifestErrors listing every problem found."""
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise ReconcilerError(
            f"the repository folder {root} {what}; pass --root (or -C) the folder that holds models/ and "
            "environments/, or run from it"
        )
    files = manifest_files(root)
    if not files:
        raise ManifestErrors(
            [
                ManifestError(
                    str(root / "models"),
                    1,
                    1,
                    f"no manifests found under {root.resolve()}",
                    "run from the repository root (or pass --root DIR); manifests live in models/*.yaml "
                    "and environments/*.yaml",
                )
            ]
        )
    errors: list[ManifestError] = []
    models: list[Model] = []
    environments: list[Environment] = []
    backend = Backend()
    digest = hashlib.sha256()
    # Models whose file has errors: pins of them are not reported again as unknown models.
    unusable_models: set[str] = set()
    # Environments whose file has errors: promotedFrom naming one is not reported as undefined.
    unusable_environments: set[str] = set()
    for path in files:
        name = path.relative_to(root).as_posix()
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            errors.append(_too_large(name, path.stat().st_size))
            continue
        raw = path.read_bytes()
        digest.update(f"{name}\0{len(raw)}\0".encode())
        digest.update(raw)
        expected_kind = "Backend" if name == BACKEND_FILE else FOLDERS[path.relative_to(root).parts[0]]
        unusable = {"Model": unusable_models, "Environment": unusable_environments}.get(expected_kind)
        document = _parse(name, raw)
        if isinstance(document, ManifestError):
            errors.append(document)
            if unusable is not None:  # unreadable: by convention, the file is named after it
                unusable.add(path.stem)
            continue
        problems = _header_errors(document, expected_kind)
        if not problems:
            problems = schema_errors(document, expected_kind)
        if problems:
            errors.extend(problems)
            if unusable is not None:
                unusable.update({_declared_name(document), path.stem})
            continue
        if expected_kind == "Model":
            models.append(build_model(document))
        elif expected_kind == "Backend":
            backend = build_backend(document)
        else:
            environments.append(build_environment(document))
    errors.extend(reference_errors(models, environments, unusable_models=unusable_models))
    errors.extend(backend_errors(backend))
    errors.extend(policy_errors(environments, unusable_environments=unusable_environments))
    for environment in environments:
        errors.extend(verify_errors(environment, {model.name for model in models} | unusable_models))
    if errors:
        raise ManifestErrors(errors)
    return Manifests(
        models=tuple(sorted(models, key=lambda m: m.name)),
        environments=tuple(sorted(environments, key=lambda e: e.name)),
        fingerprint=digest.hexdigest(),
        backend=backend,
    )


def _too_large(name: str, size: int) -> ManifestError:
    return ManifestError(
        name,
        1,
        1,
        f"the file is {size:,} bytes; manifests are limited to {MAX_MANIFEST_BYTES:,} bytes",
        "split it (one model or environment per file) or remove what does not belong in a manifest",
    )


def _parse(name: str, raw: bytes) -> LocatedDocument | ManifestError:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return ManifestError(name, 1, 1, f"the file is not UTF-8 text ({error.reason})", "save it as UTF-8")
    return parse_document(name, text)


def _declared_name(document: LocatedDocument) -> str:
    metadata = document.data.get("metadata") if isinstance(document.data, dict) else None
    return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""


def _header_errors(document: LocatedDocument, expected_kind: str) -> list[ManifestError]:
    """apiVersion and kind first: without them the schema's own messages would be misleading."""
    data = document.data
    folder = {"Model": "models/", "Backend": BACKEND_FILE}.get(expected_kind, "environments/")
    if not isinstance(data, dict):
        return [
            document.error(
                (),
                "a manifest must be a mapping with apiVersion, kind, metadata and spec",
                f"start the file with:\n      apiVersion: {API_VERSION}\n      kind: {expected_kind}",
            )
        ]
    errors: list[ManifestError] = []
    if "apiVersion" not in data:
        errors.append(document.error((), "missing 'apiVersion'", f"add: apiVersion: {API_VERSION}"))
    elif data["apiVersion"] != API_VERSION:
        errors.append(
            document.error(
                ("apiVersion",),
                f"unsupported apiVersion {data['apiVersion']!r}",
                f"this version of bedrock-gitops reads {API_VERSION}",
            )
        )
    kind = data.get("kind")
    if kind is None:
        errors.append(document.error((), "missing 'kind'", f"add: kind: {expected_kind}"))
    elif kind != expected_kind:
        other = {"Model": "models/", "Environment": "environments/", "Backend": BACKEND_FILE}.get(str(kind))
        hint = f"move the file to {other}" if other else f"files in {folder} are of kind {expected_kind}"
        errors.append(document.error(("kind",), f"kind {kind!r} does not belong in {folder}", hint))
    return errors
