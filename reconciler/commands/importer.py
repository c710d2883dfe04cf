"""`import`: write manifests for an existing live estate (read through discovery), so that teams can adopt
bedrock-gitops without hand-writing YAML; `plan` right after shows no changes for what was adopted."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from reconciler.adopt.build import Adoption, EnvironmentTarget, adopt
from reconciler.commands.schemas import MODELINE, SCHEMA_FOLDER, write_schemas
from reconciler.core.live import LiveState, Scope
from reconciler.core.scopes import ScopeRead
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.pipeline import aws_base_session, sandbox_requested

_TARGET = re.compile(r"^(?P<name>[a-z0-9]+(-[a-z0-9]+)*)=(?P<account>[0-9]{12})$")
IMPORTED_BY = "# Written by `bedrock-gitops import`; review it, then commit it.\n"


def parse_target(text: str, role_name: str, regions: tuple[str, ...]) -> EnvironmentTarget:
    found = _TARGET.match(text)
    if not found:
        raise ReconcilerError(
            f"--environment '{text}' is not NAME=ACCOUNT, e.g. prod=777788889999 (NAME: lowercase letters, "
            "digits and single hyphens; ACCOUNT: the 12-digit account id)"
        )
    account = found.group("account")
    return EnvironmentTarget(
        found.group("name"), account, f"arn:aws:iam::{account}:role/{role_name}", regions
    )


def _read(targets: list[EnvironmentTarget], *, sandbox: bool, root: Path, max_workers: int) -> LiveState:
    from reconciler.aws.clients import AwsClients
    from reconciler.aws.discovery import discover, read_tags
    from reconciler.aws.session_policy import READ_ONLY_SESSION_POLICY_JSON

    reads = {
        Scope(t.account, region): ScopeRead(Scope(t.account, region), t.role_arn, True, True, False)
        for t in targets
        for region in t.regions
    }
    sandbox_dir = shared_sandbox(root) if sandbox else None
    with aws_base_session(sandbox=sandbox, sandbox_dir=sandbox_dir) as session:
        # Reads only: the roles are assumed with the read-only session policy.
        roles = {t.account: t.role_arn for t in targets}
        clients = AwsClients(
            session,  # type: ignore[arg-type]
            roles,
            session_policy=READ_ONLY_SESSION_POLICY_JSON,
        )
        live = discover(clients, reads, max_workers=max_workers)
        capacity = {
            scope: [t.arn for t in state.throughputs] + [d.arn for d in state.deployments]
            for scope, state in live.scopes.items()
            if state.throughputs or state.deployments
        }
        if capacity:
            live = live.with_tags(read_tags(clients, capacity, max_workers=max_workers))
    return live


def shared_sandbox(root: Path) -> Path:
    """The simulated estate to import from: the current one (BEDROCK_GITOPS_SANDBOX_DIR, else the working
    folder's), never a fresh one under the new --root. The new folder is linked to it (`ROOT/.sandbox`), so
    that `plan --sandbox --root ROOT` right after reads the estate that was imported."""
    from reconciler.sandbox.estate import DIRECTORY_ENV_VAR, sandbox_directory

    if os.environ.get(DIRECTORY_ENV_VAR):
        return sandbox_directory(root)
    current = (Path.cwd() / ".sandbox").resolve()
    link = root / ".sandbox"
    if link.exists() or link.is_symlink() or link.resolve() == current:
        return link
    root.mkdir(parents=True, exist_ok=True)
    current.mkdir(parents=True, exist_ok=True)
    link.symlink_to(current, target_is_directory=True)
    print(f"Linked {link} to the current sandbox {current}", file=sys.stderr)
    return link


def _dump(kind: str, document: dict[str, Any]) -> str:
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return MODELINE.format(kind) + IMPORTED_BY + body


def write_adoption(adoption: Adoption, root: Path, *, force: bool) -> list[Path]:
    files = {root / "models" / f"{name}.yaml": _dump("model", doc) for name, doc in adoption.models.items()}
    files |= {
        root / "environments" / f"{name}.yaml": _dump("environment", doc)
        for name, doc in adoption.environments.items()
    }
    existing = [path for path in files if path.exists()]
    if existing and not force:
        listed = ", ".join(str(p) for p in existing)
        raise ReconcilerError(f"{listed} already exist; import into an empty folder (--root) or pass --force")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # The modelines point at <root>/schemas/: write the schemas there, so that editors validate at once.
    schemas = [path for path, changed in write_schemas(root / SCHEMA_FOLDER) if changed]
    return sorted(files) + schemas


def run(args: argparse.Namespace) -> int:
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
    if not regions:
        raise ReconcilerError("--regions needs at least one Region, e.g. --regions us-east-1,us-west-2")
    if not args.environment:
        raise ReconcilerError("say which accounts to import: --environment NAME=ACCOUNT (repeatable)")
    targets = [parse_target(text, args.role_name, regions) for text in args.environment]
    live = _read(
        targets, sandbox=sandbox_requested(args.sandbox), root=args.root, max_workers=args.max_workers
    )
    adoption = adopt(targets, live)
    written = write_adoption(adoption, args.root, force=args.force)
    for path in written:
        print(f"Wrote {path}")
    for note in adoption.notes:
        print(f"Note: {note}", file=sys.stderr)
    manifests = load_manifests(args.root)  # what we wrote must be valid; ManifestErrors otherwise
    print(
        f"Imported {len(manifests.models)} models and {len(manifests.environments)} environments. "
        f"Check with: bedrock-gitops plan --root {args.root}"
    )
    return 0


def add_parser(commands: Any, add_common: Any, add_aws: Any) -> None:
    parser = commands.add_parser("import", help="write manifests for an existing estate (adoption)")
    add_common(parser)
    add_aws(parser)
    parser.set_defaults(run=run)
    parser.add_argument(
        "--environment",
        "-e",
        action="append",
        default=[],
        metavar="NAME=ACCOUNT",
        help="an environment to import: its name and account id (repeatable)",
    )
    parser.add_argument(
        "--regions", required=True, metavar="R1,R2", help="Regions to read in every account, comma-separated"
    )
    parser.add_argument(
        "--role-name",
        default="BedrockGitOpsReconciler",
        help="IAM role assumed in each account (default BedrockGitOpsReconciler)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite manifests that already exist")
