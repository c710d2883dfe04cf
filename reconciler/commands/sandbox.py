"""`sandbox status|reset|set KEY=VALUE...|advance SECONDS|fine-tune MODEL`: look after the embedded simulated
estate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.sandbox import seed
from reconciler.sandbox.estate import SandboxEstate, sandbox_directory
from reconciler.sandbox.settings import DEFAULT_SETTINGS

MAX_ADVANCE_SECONDS = 10 * 365 * 86400.0
# What each seeded account plays in the example manifests (docs/ARCHITECTURE.md, "Sandbox estate").
ACCOUNT_NAMES = {
    seed.DEV: "dev (and the source of the fine-tuned models)",
    seed.STAGING: "staging",
    seed.PROD: "prod",
}


def parse_setting(text: str) -> tuple[str, Any]:
    key, equals, raw = text.partition("=")
    if not equals:
        raise ReconcilerError(f"'{text}' is not KEY=VALUE, e.g. latency_seconds=0.05")
    default = DEFAULT_SETTINGS.get(key)
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return key, raw.lower() == "true"
        if isinstance(default, float):
            return key, float(raw)
        if isinstance(default, int):
            return key, int(raw)
        if isinstance(default, list):
            return key, [item.strip() for item in raw.split(",") if item.strip()]
    except ValueError:
        kind = type(default).__name__
        raise ReconcilerError(f"sandbox setting '{key}' takes a {kind}, not '{raw}'") from None
    return key, raw


def run(args: argparse.Namespace) -> int:
    directory = sandbox_directory(args.root)
    if args.action in ("status", "reset") and args.settings:
        raise ReconcilerError(
            f"sandbox {args.action} takes no arguments, not {' '.join(args.settings)!r}; "
            "settings are changed with: bedrock-gitops sandbox set KEY=VALUE"
        )
    if args.action == "fine-tune":
        return _fine_tune(args, directory)
    if args.action == "delete":
        if len(args.settings) != 1:
            raise ReconcilerError(
                "say what to delete: bedrock-gitops sandbox delete ADDRESS, "
                "e.g. prod/us-east-1/financial-analyst/copy"
            )
        from reconciler.commands.sandbox_delete import delete

        print(f"Deleted {delete(args.root, directory, args.settings[0])} (out of band, as drift).")
        print("See what the reconciler makes of it: bedrock-gitops plan --sandbox")
        return 0
    with SandboxEstate.open(directory) as estate:
        if args.action == "reset":
            estate.reset()
            print(f"The sandbox in {directory} is back to its seed estate.")
        elif args.action == "set":
            if not args.settings:
                raise ReconcilerError("nothing to set; e.g.: bedrock-gitops sandbox set latency_seconds=0.05")
            estate.update_settings(**dict(parse_setting(text) for text in args.settings))
            print("Updated: " + ", ".join(args.settings))
        elif args.action == "advance":
            if len(args.settings) != 1:
                raise ReconcilerError("say how far: bedrock-gitops sandbox advance SECONDS")
            try:
                seconds = float(args.settings[0])
            except ValueError:
                raise ReconcilerError(f"'{args.settings[0]}' is not a number of seconds") from None
            if not 0 <= seconds <= MAX_ADVANCE_SECONDS:  # also refuses nan; the clock never goes back
                raise ReconcilerError(
                    f"cannot advance the sandbox clock by '{args.settings[0]}' seconds: give a number "
                    f"from 0 to {MAX_ADVANCE_SECONDS:.0f} (10 years), e.g. 3600"
                )
            print(f"Simulated time is now {estate.advance(seconds).isoformat()}.")
        else:
            from reconciler.commands import sandbox_status

            document = sandbox_status.as_json(
                str(directory), estate.now().isoformat(), estate.state_snapshot()
            )
            if getattr(args, "json", False):
                print(json.dumps(document, indent=2, sort_keys=True))
            else:
                print(sandbox_status.render(document, ACCOUNT_NAMES))
    return 0


def _fine_tune(args: argparse.Namespace, directory: Path) -> int:
    if len(args.settings) != 1:
        raise ReconcilerError(
            "say which model: bedrock-gitops sandbox fine-tune MODEL, e.g. financial-analyst"
        )
    from reconciler.sandbox.fine_tune import fine_tune

    done = fine_tune(args.root, directory, args.settings[0])
    print(f"Fine-tuning job {done.job_name} ({done.job_arn}): {done.status}.")
    print(f"New custom model {done.model_name}: {done.model_arn}")
    print("Find it with: bedrock-gitops versions discover --sandbox")
    return 0
