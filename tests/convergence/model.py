"""A model-based convergence check: random lifecycles of the example estate on the sandbox.

`Lifecycle` drives the real plan / saved plan / apply / prune code (reconciler.pipeline, reconciler.applying)
through sequences of manifest edits, out-of-band changes (made with boto3, as a person would) and faults,
and checks after every apply what a reconciler promises:

- converged: apply, then the next plan has no changes, or only removals kept back by a stated rule
  (pruning off, a commitment term), which the check then lifts; and AWS holds what the manifests declare
  (every copy, every throughput with its units and commitment, every deployment, serving the pinned version);
- never two models, running copy jobs, throughputs, deployments or active shares for one (account, Region,
  name);
- nothing unmanaged (the seed's own resources, hand-made ones) changed or deleted;
- every request valid against botocore's model; no idempotency token sent twice with different parameters.

Used by tests/convergence/test_convergence.py (bounded, fixed seed) and benchmarks/convergence.py (long).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

from reconciler.applying import ApplyRequest, ApplyResult, apply
from reconciler.aws.executor import ExecutionOptions
from reconciler.core.names import TOKEN_MEMBERS
from reconciler.core.plan import Action, Plan
from reconciler.core.planfile import save_plan
from reconciler.errors import ReconcilerError
from reconciler.pipeline import make_plan
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.estate import RECORD_ENV_VAR, SandboxEstate
from reconciler.sandbox.replay import invalid_requests
from tests.apply.support import live_duplicates

REPO = Path(__file__).resolve().parents[2]
MANAGED_BY = "bedrock-gitops:managed-by"
ROLE = "arn:aws:iam::{}:role/BedrockGitOpsReconciler"
VERSIONS = {"financial-analyst": ["v1", "v2"], "support-summarizer": ["v1"]}
ENVIRONMENTS = ("dev", "staging", "prod")
OPTIONAL_ENVIRONMENT = "staging"
SECOND_REGION = "us-west-2"
CAPACITY_TYPES = ("provisioned", "on-demand", "none")
COMMITMENTS = ("none", "OneMonth", "SixMonths")
SOURCE_SCOPE = "111122223333/us-east-1"
SEVEN_MONTHS = 7 * 31 * 86400.0


class Crash(BaseException):
    """Stands in for the process dying (kill -9) between two steps of an apply."""


class NotConverged(AssertionError):
    pass


class Lifecycle:
    """One estate (manifests + sandbox) under a random lifecycle; each public method is one transition."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.root = workdir / "repo"
        self.sandbox_dir = workdir / "sandbox"
        self.record_dir = workdir / "requests"
        self.record_dir.mkdir(parents=True)
        for folder in ("models", "environments"):
            shutil.copytree(REPO / folder, self.root / folder)
        self.environments: dict[str, dict[str, Any]] = {}
        for name in ENVIRONMENTS:
            document = yaml.safe_load((self.root / "environments" / f"{name}.yaml").read_text())
            # Policies have their own tests; here they would only block random edits.
            document["spec"].pop("policies", None)
            self.environments[name] = document
        # Checks of a pin without capacity are a manifest error: a pin switched to no capacity loses its
        # checks, as a person would have to remove them, and gets them back with its capacity.
        self.verify_specs = {
            name: copy.deepcopy(document["spec"].get("verify", {}))
            for name, document in self.environments.items()
        }
        self.removed_environment: dict[str, Any] | None = None
        self.prune = False
        self.kms_keys = dict(self.environments["prod"]["spec"].get("kmsKeys", {}))
        self.write_manifests()
        self.last_applied: tuple[dict[str, dict[str, Any]], dict[str, Any] | None] = copy.deepcopy(
            (self.environments, self.removed_environment)
        )
        with self.sandbox():
            pass
        self.settings(time_scale=0.0)
        self.unmanaged: dict[str, str] = {}
        self.unmanaged = self.unmanaged_resources()
        self.held_names: set[str] = set()
        self.tokens: dict[str, str] = {}
        self.records_checked = 0

    # -- plumbing ----------------------------------------------------------------------------------------

    @contextmanager
    def sandbox(self) -> Iterator[SandboxEstate]:
        with _recording(self.record_dir), SandboxEstate.open(self.sandbox_dir) as estate:
            yield estate

    def settings(self, **values: Any) -> None:
        with self.sandbox() as estate:
            estate.update_settings(**values)

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.sandbox_dir / "state.json").read_text())
        return data

    def write_manifests(self) -> None:
        folder = self.root / "environments"
        for name, document in self.environments.items():
            spec = document["spec"]
            capacities = {pin["name"]: pin["capacity"]["type"] for pin in spec["models"]}
            verify = {
                model: checks
                for model, checks in self.verify_specs[name].items()
                if capacities.get(model) != "none"
            }
            if verify:
                spec["verify"] = verify
            else:
                spec.pop("verify", None)
            (folder / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        if self.removed_environment is not None:
            (folder / f"{OPTIONAL_ENVIRONMENT}.yaml").unlink(missing_ok=True)

    def plan(self, *, prune: bool | None = None) -> Plan:
        with _recording(self.record_dir):
            return make_plan(
                self.root,
                sandbox=True,
                sandbox_dir=self.sandbox_dir,
                prune=self.prune if prune is None else prune,
            ).plan

    def run_apply(
        self,
        *,
        planfile: Path | None = None,
        prune: bool | None = None,
        before_step: Callable[[Action], None] | None = None,
    ) -> ApplyResult:
        request = ApplyRequest(
            root=self.root,
            sandbox=True,
            sandbox_dir=self.sandbox_dir,
            planfile=planfile,
            prune=self.prune if prune is None else prune,
            options=ExecutionOptions(max_workers=4, poll_seconds=300),
        )
        with _recording(self.record_dir):
            return apply(
                request,
                confirm=lambda _plan: True,
                clock=SandboxClock(self.sandbox_dir),
                before_step=before_step,
            )

    @contextmanager
    def human(self, service: str, account: str, region: str) -> Iterator[Any]:
        """A boto3 client as a person in `account` would use it (the sandbox's assumed role)."""
        with self.sandbox() as estate:
            sts = estate.session().client("sts")
            role = ROLE.format(account)
            credentials = sts.assume_role(RoleArn=role, RoleSessionName="person")["Credentials"]
            session = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=region,
            )
            yield session.client(service)  # type: ignore[call-overload]

    def pins(self) -> list[tuple[str, dict[str, Any]]]:
        return [(env, pin) for env, doc in self.environments.items() for pin in doc["spec"]["models"]]

    # -- manifest edits ----------------------------------------------------------------------------------

    def switch_version(self, index: int) -> str:
        env, pin = _pick(self.pins(), index)
        choices = VERSIONS[pin["model"] if "model" in pin else pin["name"]]
        pin["version"] = choices[(choices.index(pin["version"]) + 1) % len(choices)]
        self.write_manifests()
        return f"{env}: {pin['name']} -> {pin['version']}"

    def resize(self, index: int, units: int) -> str:
        env, pin = _pick(self.pins(), index)
        pin["capacity"] = {"type": "provisioned", "modelUnits": units, "commitment": _commitment(pin)}
        self.write_manifests()
        return f"{env}: {pin['name']} provisioned {units} units"

    def change_commitment(self, index: int, commitment: str) -> str:
        env, pin = _pick(self.pins(), index)
        units = pin["capacity"].get("modelUnits", 1)
        pin["capacity"] = {"type": "provisioned", "modelUnits": units, "commitment": commitment}
        self.write_manifests()
        return f"{env}: {pin['name']} commitment {commitment}"

    def switch_capacity(self, index: int, kind: str) -> str:
        env, pin = _pick(self.pins(), index)
        if kind == "provisioned":
            pin["capacity"] = {"type": kind, "modelUnits": 1, "commitment": "none"}
        else:
            pin["capacity"] = {"type": kind}
        self.write_manifests()
        return f"{env}: {pin['name']} capacity {kind}"

    def toggle_model(self, env_index: int, model: str) -> str:
        env = _pick(list(self.environments), env_index)
        models = self.environments[env]["spec"]["models"]
        found = next((pin for pin in models if pin["name"] == model), None)
        if found is not None:
            models.remove(found)
            self.write_manifests()
            return f"{env}: removed {model}"
        # Nova Lite serves on-demand in us-east-1 only (a preflight error elsewhere).
        models.append(
            {
                "name": model,
                "version": VERSIONS[model][-1],
                "regions": ["us-east-1"],
                "capacity": {"type": "on-demand"},
            }
        )
        self.write_manifests()
        return f"{env}: added {model}"

    def toggle_region(self, env_index: int) -> str:
        env = _pick([e for e in self.environments if e != "dev"], env_index)
        spec = self.environments[env]["spec"]
        if SECOND_REGION in spec["regions"]:
            spec["regions"].remove(SECOND_REGION)
            for pin in spec["models"]:
                if SECOND_REGION in pin.get("regions", []):
                    pin["regions"].remove(SECOND_REGION)
            spec.get("kmsKeys", {}).pop(SECOND_REGION, None)
            if not spec.get("kmsKeys"):
                spec.pop("kmsKeys", None)
        else:
            spec["regions"].append(SECOND_REGION)
        self.write_manifests()
        return f"{env}: regions {spec['regions']}"

    def toggle_environment(self) -> str:
        if self.removed_environment is None:
            self.removed_environment = self.environments.pop(OPTIONAL_ENVIRONMENT)
            self.write_manifests()
            return f"removed environment {OPTIONAL_ENVIRONMENT}"
        self.environments[OPTIONAL_ENVIRONMENT] = self.removed_environment
        self.removed_environment = None
        self.write_manifests()
        return f"added environment {OPTIONAL_ENVIRONMENT} back"

    def toggle_kms_key(self, region_index: int) -> str:
        spec = self.environments["prod"]["spec"]
        region = _pick(sorted(self.kms_keys), region_index)
        keys = spec.setdefault("kmsKeys", {})
        if region in keys:
            keys.pop(region)
        elif region in spec["regions"]:
            keys[region] = self.kms_keys[region]
        if not keys:
            spec.pop("kmsKeys")
        self.write_manifests()
        return f"prod: kmsKeys {sorted(keys)}"

    def toggle_prune(self) -> str:
        self.prune = not self.prune
        return f"prune {self.prune}"

    # -- out-of-band changes (boto3, as a person would) --------------------------------------------------

    def delete_out_of_band(self, kind: str, index: int) -> str:
        found = self.managed(kind)
        if not found:
            return f"no managed {kind} to delete"
        scope, arn = _pick(found, index)
        account, region = scope.split("/")
        try:
            if kind == "share":
                with self.human("ram", account, region) as ram:
                    ram.delete_resource_share(resourceShareArn=arn)
            else:
                operation, member = {
                    "model": ("delete_custom_model", "modelIdentifier"),
                    "throughput": ("delete_provisioned_model_throughput", "provisionedModelId"),
                    "deployment": ("delete_custom_model_deployment", "customModelDeploymentIdentifier"),
                }[kind]
                with self.human("bedrock", account, region) as bedrock:
                    getattr(bedrock, operation)(**{member: arn})
        except ClientError as error:  # AWS refused (in use, committed): nothing happened
            return f"delete {kind} {arn}: refused ({error.response['Error']['Code']})"
        return f"deleted {kind} {arn} out of band"

    def retag_out_of_band(self, index: int) -> str:
        found = self.managed("throughput") + self.managed("deployment")
        if not found:
            return "nothing to retag"
        scope, arn = _pick(found, index)
        account, region = scope.split("/")
        with self.human("bedrock", account, region) as bedrock:
            bedrock.tag_resource(resourceARN=arn, tags=[{"key": "bedrock-gitops:version", "value": "v0"}])
        return f"retagged {arn}"

    def hand_made_deployment(self, env_index: int, model_index: int) -> str:
        """A deployment made by hand under one of our names, serving the source model where it lives."""
        env = _pick(["dev"], env_index)
        model = _pick(sorted(VERSIONS), model_index)
        name = f"{env}-{model}"
        arn = _source_arn(self.root, model)
        try:
            with self.human("bedrock", "111122223333", "us-east-1") as bedrock:
                made = bedrock.create_custom_model_deployment(modelDeploymentName=name, modelArn=arn)
        except ClientError as error:
            return f"hand-made {name}: refused ({error.response['Error']['Code']})"
        self.unmanaged.update(
            {
                arn: what
                for arn, what in self.unmanaged_resources().items()
                if arn == made["customModelDeploymentArn"]
            }
        )
        self.held_names.add(name)
        return f"hand-made deployment {name}"

    def managed(self, kind: str) -> list[tuple[str, str]]:
        state = self.state()
        found: list[tuple[str, str]] = []
        if kind == "share":
            return sorted(
                (f"{s['owner']}/{s['region']}", arn)
                for arn, s in state["ram"]["shares"].items()
                if s["status"] == "ACTIVE" and s["tags"].get(MANAGED_BY)
            )
        plural = {"model": "models", "throughput": "throughputs", "deployment": "deployments"}[kind]
        for scope, parts in sorted(state["bedrock"].items()):
            for arn, item in sorted(parts.get(plural, {}).items()):
                if kind == "model" and scope == SOURCE_SCOPE:
                    continue  # the fine-tuned models themselves: not ours to delete
                if arn not in self.unmanaged and (kind == "model" or item.get("tags", {}).get(MANAGED_BY)):
                    found.append((scope, arn))
        return found

    # -- applies, with and without faults ----------------------------------------------------------------

    def apply_and_check(self, saved: bool) -> str:
        """A clean apply (of a saved plan, or a fresh one), then every invariant."""
        plan = self.plan()
        if plan.blocked:
            # A stated rule forbids these manifests (e.g. a model not offered in a Region): the suite lifts it
            # by going back to the manifests of the last apply.
            self.environments, self.removed_environment = copy.deepcopy(self.last_applied)
            self.write_manifests()
            plan = self.plan()
            if plan.blocked:
                raise NotConverged("the last applied manifests are blocked now: " + str(plan.findings))
        if saved:
            planfile = self.workdir / "saved.tfplan"
            save_plan(plan, planfile)
            result = self.run_apply(planfile=planfile)
        else:
            result = self.run_apply()
        self.check_converged(result)
        self.last_applied = copy.deepcopy((self.environments, self.removed_environment))
        return "applied and converged"

    def apply_with_fault(self, fault: str, at_step: int, seconds: float) -> str:
        counter = Counter[str]()

        def before_step(action: Action) -> None:
            counter["steps"] += 1
            if counter["steps"] == at_step + 1:
                if fault == "crash":
                    raise Crash(action.address)
                if fault == "time":
                    # The apply holds this process's one open estate: move its clock as the executor
                    # does (opening a second estate here is refused, and ended the sequence instead).
                    SandboxClock(self.sandbox_dir).sleep(seconds)

        settings: dict[str, Any] = {}
        if fault == "throttle":
            settings = {"throttle_rate": 0.2}
        elif fault == "unreachable":
            settings = {"unreachable_accounts": ["777788889999"]}
        elif fault == "org-sharing-off":
            settings = {"org_sharing_enabled": False}
        elif fault == "failing-copy":
            settings = {"failing_copy_targets": ["444455556666/us-west-2", "777788889999/us-east-1"]}
        elif fault == "status-reads":
            settings = {"status_read_fault_rate": 0.3}
        if self.plan().blocked:
            return "plan blocked"
        if settings:
            self.settings(**settings)
        try:
            self.run_apply(before_step=before_step)
        except Crash:
            pass
        except ReconcilerError as error:
            # Reads through an unreachable account fail; without organization sharing, a plan that shares
            # is refused at its preflight (RAM would refuse the share), before any write.
            sharing_refused = fault == "org-sharing-off" and "preflight/ram-sharing" in str(error)
            if fault != "unreachable" and not sharing_refused:
                raise
        finally:
            if settings:
                self.settings(
                    throttle_rate=0.0,
                    unreachable_accounts=[],
                    org_sharing_enabled=True,
                    failing_copy_targets=[],
                    status_read_fault_rate=0.0,
                )
        self.check_safety()
        return f"apply with fault {fault}"

    def advance_time(self, seconds: float) -> str:
        with self.sandbox() as estate:
            return f"time is now {estate.advance(seconds).isoformat()}"

    # -- invariants --------------------------------------------------------------------------------------

    def check_converged(self, result: ApplyResult) -> None:
        if result.report is not None and not result.report.succeeded:
            failed = [(s.address, s.message) for s in result.report.steps if s.outcome != "done"]
            raise NotConverged(f"a clean apply failed: {failed}")
        self.check_safety()
        plan = self.plan()
        if plan.actions:
            raise NotConverged(
                "after apply the plan still has changes: "
                + "; ".join(f"{a.change} {a.address} ({a.reason})" for a in plan.actions)
            )
        if any(r.blocked_by.startswith("pruning is disabled") for r in plan.removals):
            pruned = self.run_apply(prune=True)  # lift the stated rule: prune
            if pruned.report is not None and not pruned.report.succeeded:
                failed = [(s.address, s.message) for s in pruned.report.steps if s.outcome != "done"]
                raise NotConverged(f"apply --prune failed: {failed}")
            plan = self.plan(prune=True)
            if plan.actions:
                raise NotConverged(
                    "after apply --prune the plan still has changes: "
                    + "; ".join(f"{a.change} {a.address}" for a in plan.actions)
                )
        self.check_realized()
        self.check_safety()

    def check_safety(self) -> None:
        state = self.state()
        doubled = live_duplicates(state)
        if doubled:
            raise NotConverged(f"duplicates: {doubled}")
        now = self.unmanaged_resources()
        for arn, what in self.unmanaged.items():
            if now.get(arn) != what:
                raise NotConverged(f"unmanaged {arn} changed: {what} -> {now.get(arn)}")
        records = [
            json.loads(line)
            for path in sorted(self.record_dir.glob("*.jsonl"))
            for line in path.read_text().splitlines()
            if line.strip()
        ]
        fresh = records[self.records_checked :]
        self.records_checked = len(records)
        invalid = invalid_requests(fresh)
        if invalid:
            raise NotConverged(f"invalid requests: {invalid[:3]}")
        for record in fresh:
            params = record["params"]
            for member in TOKEN_MEMBERS & params.keys():
                request = json.dumps(
                    [
                        record["operation"],
                        record["account"],
                        record["region"],
                        {k: v for k, v in params.items() if k not in TOKEN_MEMBERS},
                    ],
                    sort_keys=True,
                )
                earlier = self.tokens.setdefault(params[member], request)
                if earlier != request:
                    raise NotConverged(
                        f"token {params[member]} sent for two different requests: {earlier} / {request}"
                    )

    def check_realized(self) -> None:
        """AWS holds what the manifests declare: each declared capacity exists, managed, with its units and
        commitment, serving (a copy of) the pinned version."""
        state = self.state()
        sources = {
            (model, version): _source_arn(self.root, model, version)
            for model, versions in VERSIONS.items()
            for version in versions
        }
        problems: list[str] = []
        for env, document in self.environments.items():
            spec = document["spec"]
            account = spec["account"]["id"]
            for pin in spec["models"]:
                source = sources[(pin["name"], pin["version"])]
                for region in pin.get("regions", spec["regions"]):
                    scope = state["bedrock"].get(f"{account}/{region}", {})
                    if account == "111122223333" and region == "us-east-1":
                        served = {source}
                    else:
                        name = f"{pin['name']}-{pin['version']}"
                        served = {arn for arn, m in scope.get("models", {}).items() if m["name"] == name}
                        if not served:
                            problems.append(f"{env} {region}: no copy {name}")
                            continue
                    capacity = pin["capacity"]
                    if capacity["type"] == "provisioned":
                        matching = [
                            t
                            for t in scope.get("throughputs", {}).values()
                            if t["name"].startswith(f"{env}-{pin['name']}")
                            and t["model_arn"] in served
                            and t["units"] == capacity["modelUnits"]
                            and (t["commitment"] or "none") == capacity["commitment"]
                            and t["status"] == "InService"
                        ]
                        if not matching:
                            problems.append(
                                f"{env} {region}: no InService throughput of {capacity['modelUnits']} units, "
                                f"commitment {capacity['commitment']}, serving {pin['name']} {pin['version']}"
                            )
                    elif capacity["type"] == "on-demand":
                        if f"{env}-{pin['name']}" in self.held_names:
                            continue  # held by a hand-made deployment: the plan warns and leaves it
                        if not any(
                            d["name"] == f"{env}-{pin['name']}" and d["model_arn"] in served
                            for arn, d in scope.get("deployments", {}).items()
                            if arn not in self.unmanaged
                        ):
                            problems.append(f"{env} {region}: no deployment serving {pin['name']}")
        if problems:
            raise NotConverged("AWS does not hold what the manifests declare: " + "; ".join(problems))

    def unmanaged_resources(self) -> dict[str, str]:
        """ARN -> a digest of every resource that carries no ownership tag (or was made by hand)."""
        state = self.state()
        found: dict[str, str] = {}
        for parts in state["bedrock"].values():
            for plural in ("throughputs", "deployments"):
                for arn, item in parts.get(plural, {}).items():
                    if not item.get("tags", {}).get(MANAGED_BY) or arn in self.unmanaged:
                        found[arn] = json.dumps(
                            [item["name"], item["model_arn"], item.get("tags")], sort_keys=True
                        )
        return found


def _pick(items: list[Any], index: int) -> Any:
    return items[index % len(items)]


def _commitment(pin: dict[str, Any]) -> str:
    return str(pin["capacity"].get("commitment", "none"))


def _source_arn(root: Path, model: str, version: str | None = None) -> str:
    document = yaml.safe_load((root / "models" / f"{model}.yaml").read_text())
    versions = document["spec"]["versions"]
    chosen = next((v for v in versions if v["name"] == version), versions[0]) if version else versions[0]
    return str(chosen["modelArn"])


@contextmanager
def _recording(directory: Path) -> Iterator[None]:
    """The sandbox records every Bedrock/RAM request of this lifecycle in `directory` (and nowhere else)."""
    before = os.environ.get(RECORD_ENV_VAR)
    os.environ[RECORD_ENV_VAR] = str(directory)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RECORD_ENV_VAR, None)
        else:
            os.environ[RECORD_ENV_VAR] = before


@contextmanager
def lifecycle() -> Iterator[Lifecycle]:
    workdir = Path(tempfile.mkdtemp(prefix="bedrock-gitops-convergence-"))
    try:
        yield Lifecycle(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
