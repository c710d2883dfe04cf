"""Planning capacity: provisioned throughput and on-demand deployments, created, repointed or waited on.

A version bump repoints the existing resource (UpdateProvisionedModelThroughput /
UpdateCustomModelDeployment) and then records the new version in its tags: no window without capacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import VERSION_TAG
from reconciler.core.desired import DesiredCapacity
from reconciler.core.live import LiveState
from reconciler.core.names import with_token
from reconciler.core.plan import Action, Ref
from reconciler.core.tags import is_managed, tag_list

_IN_FLIGHT_CAPACITY = frozenset({"Creating", "Updating"})


class CapacityPlanning:
    """Mixed into the planner: uses its live state, copy targets, action list and warnings."""

    live: LiveState
    generation: str
    warnings: list[str]
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
        scope = self.live.scope(capacity.account, capacity.region)
        live = next((t for t in scope.throughputs if t.name == capacity.name), None)
        if live is None:
            params: dict[str, Any] = {
                "provisionedModelName": capacity.name,
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
                    reason="no provisioned throughput serves this model here",
                    depends_on=depends_on,
                    after={
                        "version": capacity.version,
                        "modelUnits": capacity.model_units,
                        "commitment": capacity.commitment,
                    },
                )
            )
            return
        current = live.desired_model_arn or live.model_arn
        if live.arn not in self.live.tags and target == current and live.status == "InService":
            return  # serves the right model: nothing to do, so its tags were not read (see tag_reads)
        tags = self.live.tags.get(live.arn, {})
        if not is_managed(tags):
            self.warnings.append(
                f"{capacity.address}: provisioned throughput '{capacity.name}' exists in account "
                f"{capacity.account}, {capacity.region} but is not managed by bedrock-gitops; it is left "
                "alone. Rename or delete it, or tag it to adopt it."
            )
            return
        if (live.model_units, live.commitment or "none") != (capacity.model_units, capacity.commitment):
            self.warnings.append(
                f"{capacity.address}: model units or commitment differ ({live.model_units} units, "
                f"{live.commitment or 'no commitment'} live; {capacity.model_units} units, "
                f"{capacity.commitment} declared). Bedrock cannot change them in place: "
                "create a new throughput to change them."
            )
        if target != current:
            self._repoint(
                capacity,
                live.arn,
                "UpdateProvisionedModelThroughput",
                {"provisionedModelId": live.arn, "desiredModelId": target},
                tags,
                depends_on,
            )
        elif live.status in _IN_FLIGHT_CAPACITY:
            self._wait(
                capacity, "GetProvisionedModelThroughput", {"provisionedModelId": live.arn}, live.status
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
