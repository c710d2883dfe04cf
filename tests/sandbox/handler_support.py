"""Calling the simulated Bedrock/RAM handlers directly, the way the transport does, on a fresh seed."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.sandbox import bedrock, ram
from reconciler.sandbox.api import Call, Handler, SimulatedError
from reconciler.sandbox.ram_common import invite
from reconciler.sandbox.settings import DEFAULT_SETTINGS
from reconciler.sandbox.shapes import request_problems, response_problems

from reconciler.sandbox.seed import (  # isort: skip
    DEV,
    FINANCIAL_ANALYST_V1 as V1,
    FINANCIAL_ANALYST_V2 as V2,
    MANAGEMENT,
    PROD,
    STAGING,
    SUPPORT_SUMMARIZER_V1 as NOVA,
    seed_state,
)

__all__ = ["DEV", "MANAGEMENT", "NOVA", "PROD", "STAGING", "V1", "V2", "World"]

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HANDLERS: dict[str, dict[str, Handler]] = {"bedrock": bedrock.HANDLERS, "ram": ram.HANDLERS}


class World:
    """A seed state with default settings (overridable) and a frozen clock moved by `advance`."""

    def __init__(self, **settings: Any) -> None:
        self.state = seed_state()
        self.state["settings"] = {**copy.deepcopy(DEFAULT_SETTINGS), **settings}
        self.now = START

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def call(
        self, service: str, operation: str, account: str, region: str = "us-east-1", **params: Any
    ) -> Any:
        # The transport validates requests before dispatch: a test must not send what AWS would refuse.
        problems = request_problems(service, operation, params)
        assert not problems, problems
        output = HANDLERS[service][operation](
            Call(service, operation, account, region, params, self.state, self.now)
        )
        problems = response_problems(service, operation, output)
        assert not problems, problems
        json.dumps(self.state)  # the state document stays JSON-able
        return output

    def fails(
        self, service: str, operation: str, account: str, region: str = "us-east-1", **params: Any
    ) -> SimulatedError:
        bedrock.settle(self.state, self.now)
        before = json.dumps(self.state, sort_keys=True)
        with pytest.raises(SimulatedError) as caught:
            self.call(service, operation, account, region, **params)
        assert json.dumps(self.state, sort_keys=True) == before, "a refused request changed the state"
        return caught.value

    def bedrock(self, operation: str, account: str, region: str = "us-east-1", **params: Any) -> Any:
        return self.call("bedrock", operation, account, region, **params)

    def ram(self, operation: str, account: str, region: str = "us-east-1", **params: Any) -> Any:
        return self.call("ram", operation, account, region, **params)

    def share(self, model: str = V1, principal: str = STAGING, **extra: Any) -> str:
        """The owner (dev) shares `model` in us-east-1; returns the share ARN."""
        params: dict[str, Any] = {
            "name": "share",
            "resourceArns": [model],
            "principals": [principal],
            "allowExternalPrincipals": False,
            **extra,
        }
        result = self.ram("CreateResourceShare", DEV, **params)
        return str(result["resourceShare"]["resourceShareArn"])

    def share_by_invitation(self, model: str = V1, principal: str = STAGING) -> str:
        """A share of `model` whose `principal` has a PENDING invitation. RAM shares custom models only inside
        an organization with sharing enabled, where it sends no invitation: the invitation is put in the
        state, as for a share from before sharing was enabled, to test what RAM does with one."""
        share_arn = self.share(model, principal)
        share = self.state["ram"]["shares"][share_arn]
        invite(
            Call("ram", "CreateResourceShare", DEV, "us-east-1", {}, self.state, self.now),
            share_arn,
            share,
            principal,
        )
        return share_arn

    def copy(
        self,
        account: str = STAGING,
        region: str = "us-west-2",
        source: str = V1,
        name: str = "fa-v1",
        **extra: Any,
    ) -> str:
        result = self.bedrock(
            "CreateModelCopyJob", account, region, sourceModelArn=source, targetModelName=name, **extra
        )
        return str(result["jobArn"])

    def copied(
        self, account: str = STAGING, region: str = "us-west-2", source: str = V1, name: str = "fa-v1"
    ) -> str:
        """Copy and wait for it; returns the new model's ARN."""
        job = self.copy(account, region, source, name)
        self.advance(self.state["settings"]["copy_job_seconds"])
        result = self.bedrock("GetModelCopyJob", account, region, jobArn=job)
        assert result["status"] == "Completed"
        return str(result["targetModelArn"])

    def model_names(self, account: str, region: str = "us-east-1", **filters: Any) -> list[str]:
        summaries = self.bedrock("ListCustomModels", account, region, **filters)["modelSummaries"]
        return [summary["modelName"] for summary in summaries]
