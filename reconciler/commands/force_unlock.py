"""`force-unlock LOCK_ID`: break the apply lock of an apply that died, after a human checked it did."""

from __future__ import annotations

import argparse
import sys

from reconciler.aws.lock import estate_lock
from reconciler.commands.confirm import answered_yes
from reconciler.errors import ReconcilerError
from reconciler.manifests.load import load_manifests
from reconciler.pipeline import aws_clients, sandbox_requested


def run(args: argparse.Namespace) -> int:
    manifests = load_manifests(args.root)
    with aws_clients(manifests, args.root, sandbox=sandbox_requested(args.sandbox)) as clients:
        lock = estate_lock(clients, manifests.backend, getattr(args, "shard", None))
        holder = lock.current()
        if holder is None:
            what = f"shard {args.shard} of the estate" if getattr(args, "shard", None) else "the estate"
            raise ReconcilerError(f"{what} is not locked; nothing to unlock")
        print(f"The estate is locked: {holder.describe()}.")
        if not args.force:
            if not sys.stdin.isatty():
                raise ReconcilerError("force-unlock needs a confirmation: re-run with --force")
            print("Breaking a lock while its apply still runs lets two applies race.")
            if not answered_yes("Only 'yes' will be accepted to confirm: "):
                print("Unlock cancelled.")
                return 1
        lock.force_unlock(args.lock_id)
    print(f"Lock {args.lock_id} removed. The next apply can run.")
    return 0
