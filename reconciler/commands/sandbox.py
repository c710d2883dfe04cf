"""`sandbox status|reset|set KEY=VALUE...|advance SECONDS|fine-tune MODEL`: look after the embedded simulated
estate."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.sandbox.estate import SandboxEstate, sandbox_directory
from reconciler.sandbox.settings import DEFAULT_SETTINGS

MAX_ADVANCE_SECONDS = 10 * 365 * 86400.0


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


def _counts(state: dict[str, Any]) -> list[str]:
    lines = []
    for scope, kinds in sorted(state.get("bedrock", {}).items()):
        jobs = Counter(job["status"] for job in kinds.get("copy_jobs", {}).values())
        parts = [
            f"{len(kinds.get('models', {}))} custom models",
            "copy jobs " + (", ".join(f"{n} {s}" for s, n in sorted(jobs.items())) or "none"),
            f"{len(kinds.get('throughputs', {}))} provisioned throughputs",
            f"{len(kinds.get('deployments', {}))} deployments",
        ]
        tuning = Counter(job["status"] for job in kinds.get("customization_jobs", {}).values())
        if tuning:
            parts.append("fine-tuning jobs " + ", ".join(f"{n} {s}" for s, n in sorted(tuning.items())))
        lines.append(f"  {scope}: " + "; ".join(parts))
    shares = state.get("ram", {}).get("shares", {}).values()
    active = sum(1 for share in shares if share["status"] == "ACTIVE")
    lines.append(f"  RAM: {active} active shares")
    return lines


def run(args: argparse.Namespace) -> int:
    directory = sandbox_directory(args.root)
    if args.action in ("status", "reset") and args.settings:
        raise ReconcilerError(
            f"sandbox {args.action} takes no arguments, not {' '.join(args.settings)!r}; "
            "settings are changed with: bedrock-gitops sandbox set KEY=VALUE"
        )
    if args.action == "fine-tune":
        return _fine_tune(args, directory)
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
            state = estate.state_snapshot()
            print(f"Sandbox: {directory}")
            print(f"Simulated time: {estate.now().isoformat()}")
            print("Settings: " + json.dumps(state["settings"], sort_keys=True))
            print("Estate:")
            print("\n".join(_counts(state)))
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
