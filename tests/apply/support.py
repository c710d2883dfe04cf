"""Shared helpers of the apply tests: a copy of the example repository with its own sandbox, in-process
applies on the sandbox's simulated clock, and counts of what exists in the simulated estate."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import ApplyRequest, ApplyResult, apply
from reconciler.aws.executor import ExecutionOptions
from reconciler.core.plan import Action
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.estate import SandboxEstate
from tests.examples import copy_examples, example_repo

# The example prod's promotedFrom soak: a version enters prod once staging has served it, verified, this long.
SOAK_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Estate:
    root: Path
    sandbox_dir: Path

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.sandbox_dir / "state.json").read_text())
        return data

    def settings(self, **values: Any) -> None:
        with SandboxEstate.open(self.sandbox_dir) as estate:
            estate.update_settings(**values)

    def apply(
        self,
        planfile: Path | None = None,
        *,
        before_step: Callable[[Action], None] | None = None,
        timeout: float | None = None,
        prune: bool = False,
    ) -> ApplyResult:
        request = ApplyRequest(
            root=self.root,
            sandbox=True,
            sandbox_dir=self.sandbox_dir,
            planfile=planfile,
            prune=prune,
            options=ExecutionOptions(max_workers=8, poll_seconds=300, timeout_seconds=timeout),
        )
        return apply(
            request, confirm=lambda _plan: True, clock=SandboxClock(self.sandbox_dir), before_step=before_step
        )

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock (e.g. past the example prod's 24h soak time)."""
        with SandboxEstate.open(self.sandbox_dir) as estate:
            estate.advance(seconds)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    def resources(self) -> Counter[str]:
        """How many of each thing exists: duplicates show up as counts above 1."""
        counts: Counter[str] = Counter()
        state = self.state()
        for scope, parts in state["bedrock"].items():
            for job in parts["copy_jobs"].values():
                if job["status"] != "Failed":
                    counts[f"copy-job {scope} {job['target_model_name']}"] += 1
            for throughput in parts["throughputs"].values():
                counts[f"throughput {scope} {throughput['name']}"] += 1
            for deployment in parts["deployments"].values():
                counts[f"deployment {scope} {deployment['name']}"] += 1
        for share in state["ram"]["shares"].values():
            if share["status"] == "ACTIVE":
                counts[f"share {share['owner']}/{share['region']} {share['name']}"] += 1
        return counts


def live_duplicates(state: dict[str, Any]) -> dict[str, int]:
    """What exists more than once for one (account, Region, name): models (a copy made twice), copy jobs in
    progress, throughputs, deployments, and ACTIVE shares. A completed copy job whose model was deleted
    since is history, not a duplicate."""
    counts: Counter[str] = Counter()
    for scope, parts in state["bedrock"].items():
        for model in parts.get("models", {}).values():
            counts[f"model {scope} {model['name']}"] += 1
        for job in parts.get("copy_jobs", {}).values():
            if job["status"] == "InProgress":
                counts[f"copy-job {scope} {job['target_model_name']}"] += 1
        for throughput in parts.get("throughputs", {}).values():
            counts[f"throughput {scope} {throughput['name']}"] += 1
        for deployment in parts.get("deployments", {}).values():
            counts[f"deployment {scope} {deployment['name']}"] += 1
    for share in state["ram"]["shares"].values():
        if share["status"] == "ACTIVE":
            counts[f"share {share['owner']}/{share['region']} {share['name']}"] += 1
    return {what: count for what, count in counts.items() if count > 1}


def make_estate(tmp_path: Path, **settings: Any) -> Estate:
    """A copy of the example manifests and their sandbox, with these sandbox settings."""
    root = copy_examples(tmp_path / "repo")
    sandbox_dir = tmp_path / "sandbox"
    with SandboxEstate.open(sandbox_dir) as estate:
        # By default a frozen clock: only the executor's SandboxClock moves it, so waiting costs no real time.
        estate.update_settings(**{"time_scale": 0.0, **settings})
    return Estate(root, sandbox_dir)


def cli_estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> Estate:
    """`make_estate`, and the CLI's --sandbox pointed at its sandbox."""
    root = example_repo(tmp_path, monkeypatch, **{"time_scale": 0.0, **settings})
    return Estate(root, tmp_path / "sandbox")


def duplicates(counts: Counter[str]) -> dict[str, int]:
    return {what: count for what, count in counts.items() if count > 1}
