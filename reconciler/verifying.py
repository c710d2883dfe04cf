"""The I/O shell of `verify`: load the manifests, open clients, run every environment's `spec.verify`
through its live capacity (reconciler/aws/verify.py). Read-only apart from the invocations themselves:
it never tags, creates or changes anything (apply tags what passes), and its roles are assumed with the
verify session policy, so AWS would refuse a write."""

from __future__ import annotations

from pathlib import Path

from reconciler.aws.verify import VerificationRun, verify_capacity
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.pipeline import aws_clients


def verify_estate(
    root: Path,
    *,
    sandbox: bool,
    environment: str | None = None,
    max_workers: int = 16,
    sandbox_dir: Path | None = None,
) -> VerificationRun:
    manifests = load_manifests(root)
    names = [env.name for env in manifests.environments]
    if environment is not None and environment not in names:
        raise ReconcilerError(
            f"there is no environment '{environment}' in environments/; known: {', '.join(names)}"
        )
    # Reads and invocations only: AWS itself refuses any write from these sessions (aws/session_policy.py).
    with aws_clients(
        manifests, root, sandbox=sandbox, sandbox_dir=sandbox_dir, read_only=True, invoke=True
    ) as clients:
        return verify_capacity(clients, manifests, environment=environment, max_workers=max_workers)
