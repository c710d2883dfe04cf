"""Synthetic estates: N accounts x R Regions x M models with K versions each, as manifests in a directory
plus the matching sandbox state (converged: what a full apply leaves behind, or only partly applied).

Account 0 is the source account where every model was fine-tuned (us-east-1); every account (the source
included) is one environment serving every model in all R Regions, pinning version (i + j) mod K of model
j, with provisioned throughput, an on-demand deployment or no capacity, by model.

By default the estate passes the tool's own preflight: every model is built on a base model that can be
copied into all four catalogue Regions (reconciler/data/bedrock-support.json), and a model with capacity
is served only where that capacity is supported (us-east-1). `supported_only=False` gives the older,
denser estate (capacity in every Region, two base models) that the pure-diff figure measures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from reconciler.core.desired import desired_state
from reconciler.core.diff import compute_plan
from reconciler.core.live import LiveState
from reconciler.core.plan import Action
from reconciler.manifests.load import load_manifests
from reconciler.sandbox.bedrock_common import CATALOGUE_REGIONS
from reconciler.sandbox.statefile import State
from reconciler.sandbox.synthetic import PlannedCall, SourceModel, organization_state, run_actions

MANAGEMENT_ACCOUNT = "123456789012"  # the sandbox's base credentials (moto's default account)
SOURCE_REGION = "us-east-1"
BASE_MODELS = ("amazon.titan-text-express-v1:0:8k", "amazon.nova-lite-v1:0:300k")
SUPPORTED_BASE_MODEL = "amazon.nova-lite-v1:0:300k"  # copy in all four Regions
CAPACITY_REGIONS = ("us-east-1",)  # where its provisioned throughput and on-demand deployments are offered
CAPACITY = ("provisioned", "on-demand", "none")


class Shape(NamedTuple):
    accounts: int
    regions: int
    models: int
    versions: int

    def __str__(self) -> str:
        return (
            f"{self.accounts} accounts x {self.regions} Regions x {self.models} models "
            f"x {self.versions} versions"
        )


def account_id(index: int) -> str:
    return f"{200000000000 + index:012d}"


def environment_name(index: int) -> str:
    return f"env-{index:04d}"


def model_name(index: int) -> str:
    return f"model-{index:02d}"


def source_models(shape: Shape, created: datetime, *, supported_only: bool = True) -> list[SourceModel]:
    found = []
    for j in range(shape.models):
        base = SUPPORTED_BASE_MODEL if supported_only else BASE_MODELS[j % len(BASE_MODELS)]
        for k in range(shape.versions):
            short = hashlib.sha256(f"{j}/{k}".encode()).hexdigest()[:12]
            arn = f"arn:aws:bedrock:{SOURCE_REGION}:{account_id(0)}:custom-model/{base}/{short}"
            found.append(
                SourceModel(arn, f"{model_name(j)}-v{k + 1}", account_id(0), SOURCE_REGION, base, created)
            )
    return found


def write_manifests(
    root: Path, shape: Shape, models: list[SourceModel], *, supported_only: bool = True
) -> None:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "environments").mkdir(parents=True, exist_ok=True)
    for j in range(shape.models):
        lines = [
            "apiVersion: bedrock-gitops.io/v1alpha1",
            "kind: Model",
            "metadata:",
            f"  name: {model_name(j)}",
            "spec:",
            "  source:",
            f'    account: "{account_id(0)}"',
            f"    region: {SOURCE_REGION}",
            "  versions:",
        ]
        for k in range(shape.versions):
            lines += [f"    - name: v{k + 1}", f"      modelArn: {models[j * shape.versions + k].arn}"]
        (root / "models" / f"{model_name(j)}.yaml").write_text("\n".join(lines) + "\n")
    regions = CATALOGUE_REGIONS[: shape.regions]
    for i in range(shape.accounts):
        account = account_id(i)
        lines = [
            "apiVersion: bedrock-gitops.io/v1alpha1",
            "kind: Environment",
            "metadata:",
            f"  name: {environment_name(i)}",
            "spec:",
            "  account:",
            f'    id: "{account}"',
            f"    roleArn: arn:aws:iam::{account}:role/BedrockGitOpsReconciler",
            f"  regions: [{', '.join(regions)}]",
            "  models:",
        ]
        for j in range(shape.models):
            capacity = CAPACITY[j % len(CAPACITY)]
            lines += [f"    - name: {model_name(j)}", f"      version: v{(i + j) % shape.versions + 1}"]
            if supported_only and capacity != "none":
                lines += [f"      regions: [{', '.join(r for r in regions if r in CAPACITY_REGIONS)}]"]
            lines += ["      capacity:", f"        type: {capacity}"]
            if capacity == "provisioned":
                lines += ["        modelUnits: 1", "        commitment: OneMonth"]
        (root / "environments" / f"{environment_name(i)}.yaml").write_text("\n".join(lines) + "\n")


def generate(
    root: Path,
    shape: Shape,
    *,
    applied: Callable[[Action], bool] = lambda action: True,
    supported_only: bool = True,
) -> tuple[State, list[Action]]:
    """Write the manifests of `shape` under `root`; return the sandbox state after the actions of the
    full plan that `applied` selects (all: converged), and the actions left out."""
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    models = source_models(shape, created, supported_only=supported_only)
    write_manifests(root, shape, models, supported_only=supported_only)
    manifests = load_manifests(root)
    plan = compute_plan(
        desired_state(manifests),
        LiveState({}),
        manifests_fingerprint=manifests.fingerprint,
        prune=False,
        now=created,
    )
    accounts = [account_id(i) for i in range(shape.accounts)]
    state = organization_state(accounts, models, management_account=MANAGEMENT_ACCOUNT)
    done = {action.address for action in plan.actions if applied(action)}
    # An action is run only if everything it depends on is run too.
    for action in plan.actions:
        if action.address in done and any(dep not in done for dep in action.depends_on):
            done.discard(action.address)
    waves: dict[int, list[PlannedCall]] = {}
    for action in plan.actions:
        if action.address in done:
            waves.setdefault(action.wave, []).append(
                PlannedCall(
                    action.address,
                    action.service,
                    action.operation,
                    action.account,
                    action.region,
                    action.params,
                )
            )
    run_actions(state, [waves[wave] for wave in sorted(waves)], now=created)
    return state, [action for action in plan.actions if action.address not in done]
