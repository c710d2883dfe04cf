"""Planning capacity: provisioned throughput and on-demand deployments, created, repointed, resized or
waited on.

A version bump repoints the existing resource (UpdateProvisionedModelThroughput /
UpdateCustomModelDeployment) and then records the new version in its tags: no window without capacity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reconciler import VERSION_TAG
from reconciler.core.desired import DesiredCapacity
from reconciler.core.live import LiveState, LiveThroughput
from reconciler.core.names import resized_capacity_name, with_token
from reconciler.core.plan import Action, Ref, Removal
from reconciler.core.tags import is_managed, tag_list

_IN_FLIGHT_CAPACITY = frozenset({"Creating", "Updating"})
_RESIZE_SUFFIX = re.compile(r"^[0-9]+u-(none|onemonth|sixmonths)$")


def _in_family(name: str, capacity_name: str) -> bool:
    """`name` is the capacity's throughput, or one a resize made for it (see names.resized_capacity_name)."""
    return name == capacity_name or (
        name.startswith(capacity_name + "-") and bool(_RESIZE_SUFFIX.match(name[len(capacity_name) + 1 :]))
    )


def managed_throughputs(capacity: DesiredCapacity, live: LiveState) -> list[LiveThroughput]:
    """The capacity's throughput and those a resize made for it, except any tagged as not ours."""
    scope = live.scope(capacity.account, capacity.region)
    return [
        t
        for t in scope.throughputs
        if _in_family(t.name, capacity.name) and (t.arn not in live.tags or is_managed(live.tags[t.arn]))
    ]


def _serving(capacity: DesiredCapacity, ours: list[LiveThroughput]) -> LiveThroughput | None:
    wanted = (capacity.model_units, capacity.commitment)
    matching = [t for t in ours if (t.model_units, t.commitment or "none") == wanted and t.status != "Failed"]
    return next((t for t in matching if t.name == capacity.name), matching[0] if matching else None)


def serving_throughput(capacity: DesiredCapacity, live: LiveState) -> LiveThroughput | None:
    """The live throughput that is `capacity` (its units and commitment), under its own name or the name a
    resize gave it: what apply keeps, verification invokes and soak reads the tags of."""
    return _serving(capacity, managed_throughputs(capacity, live))


class CapacityPlanning:
    """Mixed into the planner: uses its live state, copy targets, action list and warnings."""

    live: LiveState
    now: datetime
    generation: str
    warnings: list[str]
    actions: list[Action]
    # Removals the capacity planner decided (a resized throughput kept for its commitment term).
    removals: list[Removal]
    # Throughputs the capacity planner accounts for (kept, waited on, or retired by a resize): not orphans.
    claimed_capacity: set[str]
    copy_targets: dict[str, str | Ref]

    def add(self, action: Action) -> None:
        raise NotImplementedError

    # -- capacity -----------------------------------------------------------------------------------------

    def capacity(self, capacity: DesiredCapacity) -> None:
        target: str | Ref = (
            self.copy_targets[capacity.copy_address] if capacity.copy_address else capacity.source_model_arn
        )
        depends_on = (capacity.copy_address,) if isinstance(target, Ref) and capacity.copy_address else ()
        if capacity.kind == "provisioned":
            self._throughput(capacity, target, depends_on)
        else:
            self._deployment(capacity, target, depends_on)

    def _throughput(self, capacity: DesiredCapacity, target: str | Ref, depends_on: tuple[str, ...]) -> None:
        """A resize (units or commitment) is a new throughput made next to the old one, which is removed
        once the new one is InService and its commitment term allows: no window without capacity."""
        scope = self.live.scope(capacity.account, capacity.region)
        family = [t for t in scope.throughputs if _in_family(t.name, capacity.name)]
        base = next((t for t in family if t.name == capacity.name), None)
        if base is not None and base.arn in self.live.tags and not is_managed(self.live.tags[base.arn]):
            self.warnings.append(
                f"{capacity.address}: provisioned throughput '{capacity.name}' exists in account "
                f"{capacity.account}, {capacity.region} but is not managed by bedrock-gitops; it is left "
                "alone. Rename or delete it, or tag it to adopt it."
            )
            return
        tags = self.live.tags
        # managed_throughputs(), from the family already found: this runs for every provisioned capacity.
        ours = [t for t in family if t.arn not in tags or is_managed(tags[t.arn])]
        live = _serving(capacity, ours)
        self.claimed_capacity.update(t.arn for t in ours)
        if live is None:
            taken = {t.name for t in scope.throughputs}
            name = capacity.name
            if name in taken:
                name = resized_capacity_name(
                    capacity.environment, capacity.model, capacity.model_units, capacity.commitment
                )
            self._create_throughput(capacity, name, target, depends_on, resized=bool(ours))
        else:
            self._keep_throughput(capacity, live, target, depends_on)
        for old in ours:
            if old is not live:
                self._retire_throughput(capacity, old)

    def _create_throughput(
        self,
        capacity: DesiredCapacity,
        name: str,
        target: str | Ref,
        depends_on: tuple[str, ...],
        *,
        resized: bool,
    ) -> None:
        params: dict[str, Any] = {
            "provisionedModelName": name,
            "modelUnits": capacity.model_units,
            "modelId": target,
            "tags": tag_list(capacity.tags),
        }
        if capacity.commitment != "none":
            params["commitmentDuration"] = capacity.commitment
        params = with_token(
            "CreateProvisionedModelThroughput",
            capacity.account,
            capacity.region,
            params,
            "clientRequestToken",
            generation=[self.generation],
        )
        self.add(
            Action(
                address=capacity.address,
                change="create",
                service="bedrock",
                operation="CreateProvisionedModelThroughput",
                account=capacity.account,
                region=capacity.region,
                params=params,
                reason=(
                    f"resize to {capacity.model_units} units, commitment {capacity.commitment}: Bedrock "
                    "cannot change them in place, so a new throughput is made next to the old one"
                    if resized
                    else "no provisioned throughput serves this model here"
                ),
                depends_on=depends_on,
                after={
                    "version": capacity.version,
                    "modelUnits": capacity.model_units,
                    "commitment": capacity.commitment,
                },
            )
        )

    def _keep_throughput(
        self, capacity: DesiredCapacity, live: LiveThroughput, target: str | Ref, depends_on: tuple[str, ...]
    ) -> None:
        current = live.desired_model_arn or live.model_arn
        if target != current:
            self._repoint(
                capacity,
                live.arn,
                "UpdateProvisionedModelThroughput",
                {"provisionedModelId": live.arn, "desiredModelId": target},
                self.live.tags.get(live.arn, {}),
                depends_on,
            )
        elif live.status in _IN_FLIGHT_CAPACITY:
            self._wait(
                capacity, "GetProvisionedModelThroughput", {"provisionedModelId": live.arn}, live.status
            )

    def _retire_throughput(self, capacity: DesiredCapacity, old: LiveThroughput) -> None:
        """The throughput a resize replaced: deleted after its successor is ready, unless its commitment term
        still runs (then kept, and said so, until a later plan finds the term over)."""
        address = f"{capacity.address}/replaced/{old.name}"
        now = self.now.isoformat().replace("+00:00", "Z")
        if old.commitment_expiration and old.commitment_expiration > now:
            self.removals.append(
                Removal(
                    address,
                    "provisioned-throughput",
                    capacity.account,
                    capacity.region,
                    old.arn,
                    f"replaced by a resize to {capacity.model_units} units, commitment {capacity.commitment}",
                    f"its {old.commitment} commitment runs until {old.commitment_expiration}",
                )
            )
            return
        successor = [a.address for a in self.actions if a.address == capacity.address]
        self.add(
            Action(
                address=address,
                change="delete",
                service="bedrock",
                operation="DeleteProvisionedModelThroughput",
                account=capacity.account,
                region=capacity.region,
                params={"provisionedModelId": old.arn},
                reason=(
                    f"replaced by a resize to {capacity.model_units} units, commitment {capacity.commitment} "
                    "(removed once its successor is InService)"
                ),
                depends_on=tuple(successor),
                before={"modelUnits": old.model_units, "commitment": old.commitment or "none"},
            )
        )

    def _deployment(self, capacity: DesiredCapacity, target: str | Ref, depends_on: tuple[str, ...]) -> None:
        scope = self.live.scope(capacity.account, capacity.region)
        live = next((d for d in scope.deployments if d.name == capacity.name), None)
        if live is None:
            self.add(
                Action(
                    address=capacity.address,
                    change="create",
                    service="bedrock",
                    operation="CreateCustomModelDeployment",
                    account=capacity.account,
                    region=capacity.region,
                    params=with_token(
                        "CreateCustomModelDeployment",
                        capacity.account,
                        capacity.region,
                        {
                            "modelDeploymentName": capacity.name,
                            "modelArn": target,
                            "description": f"{capacity.model} {capacity.version} for {capacity.environment} "
                            "(managed by bedrock-gitops)",
                            "tags": tag_list(capacity.tags),
                        },
                        "clientRequestToken",
                        generation=[self.generation],
                    ),
                    reason="no on-demand deployment serves this model here",
                    depends_on=depends_on,
                    after={"version": capacity.version},
                )
            )
            return
        if live.arn not in self.live.tags and target == live.model_arn and live.status == "Active":
            return  # serves the right model: nothing to do, so its tags were not read (see tag_reads)
        tags = self.live.tags.get(live.arn, {})
        if not is_managed(tags):
            self.warnings.append(
                f"{capacity.address}: custom model deployment '{capacity.name}' exists in account "
                f"{capacity.account}, {capacity.region} but is not managed by bedrock-gitops; "
                "it is left alone."
            )
            return
        if target != live.model_arn:
            self._repoint(
                capacity,
                live.arn,
                "UpdateCustomModelDeployment",
                {"customModelDeploymentIdentifier": live.arn, "modelArn": target},
                tags,
                depends_on,
            )
        elif live.status == "Creating":
            self._wait(
                capacity,
                "GetCustomModelDeployment",
                {"customModelDeploymentIdentifier": live.arn},
                live.status,
            )

    def _repoint(
        self,
        capacity: DesiredCapacity,
        arn: str,
        operation: str,
        params: dict[str, Any],
        tags: Mapping[str, str],
        depends_on: tuple[str, ...],
    ) -> None:
        old_version = tags.get(VERSION_TAG, "?")
        self.add(
            Action(
                address=capacity.address,
                change="update",
                service="bedrock",
                operation=operation,
                account=capacity.account,
                region=capacity.region,
                params=params,
                reason=f"the environment now pins {capacity.version} (repointed in place, no capacity gap)",
                depends_on=depends_on,
                before={"version": old_version},
                after={"version": capacity.version},
            )
        )
        self.add(
            Action(
                address=f"{capacity.address}/tags",
                change="update",
                service="bedrock",
                operation="TagResource",
                account=capacity.account,
                region=capacity.region,
                params={"resourceARN": arn, "tags": tag_list({VERSION_TAG: capacity.version})},
                reason="record the version it now serves",
                depends_on=(capacity.address,),
                before={VERSION_TAG: old_version},
                after={VERSION_TAG: capacity.version},
            )
        )

    def _wait(self, capacity: DesiredCapacity, operation: str, params: dict[str, Any], status: str) -> None:
        self.add(
            Action(
                address=capacity.address,
                change="wait",
                service="bedrock",
                operation=operation,
                account=capacity.account,
                region=capacity.region,
                params=params,
                reason=f"status is {status}",
            )
        )
