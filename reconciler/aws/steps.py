"""One plan action, carried out against AWS: the call, and for asynchronous resources the wait until the
resource is usable (a copy job Completed, a throughput InService, a deployment Active).

A step is idempotent by construction: creates carry the plan's deterministic client tokens, so repeating a
step after a crash or a lost response makes AWS ignore the repeat instead of creating a duplicate.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

from reconciler.aws.clients import AwsClients
from reconciler.core.apply_report import CallRecord
from reconciler.core.names import request_token
from reconciler.core.plan import Action
from reconciler.core.tags import is_managed
from reconciler.errors import AwsAccessError

# Request members that do not identify anything: left out of the report.
_UNREPORTED_MEMBERS = frozenset({"clientRequestToken", "clientToken", "tags", "targetModelTags"})
_THROTTLING_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded"}
)
_USABLE_SHARE_STATES = frozenset({"ACTIVE", "PENDING"})
# A wait whose status reads keep failing stops (as timed out, so the next apply resumes it) after this many.
MAX_UNREAD_POLLS = 20
_SERVER_ERROR_CODES = frozenset(
    {"InternalServerException", "ServiceUnavailableException", "ServiceUnavailable", "InternalFailure"}
)
# On top of botocore's own retries: a step survives a long throttling storm instead of failing the apply.
_EXTRA_THROTTLE_RETRIES = 6
_BACKOFF_BASE_SECONDS = 1.0
_BACKOFF_CAP_SECONDS = 30.0


class Clock(Protocol):
    """Time as the executor sees it: real time, or the sandbox's simulated time in tests."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class StepFailedError(Exception):
    def __init__(self, message: str, outputs: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.outputs = dict(outputs or {})


class StepTimeoutError(Exception):
    def __init__(self, message: str, outputs: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.outputs = dict(outputs or {})


@dataclass
class StepContext:
    clients: AwsClients
    clock: Clock
    poll_seconds: float
    deadline: float | None
    # (address, status) whenever a step's status changes, for the progress display.
    progress: Callable[[str, str], None]
    # Set when the run is interrupted (Ctrl-C): waits end at once, leaving the jobs running in AWS.
    stop: threading.Event = field(default_factory=threading.Event)
    # Bounds the AWS calls in flight across all steps (--max-workers); a step waiting between two status
    # checks holds none, so fifty copy jobs are waited on together whatever the bound.
    call_slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(16))
    calls: list[CallRecord] = field(default_factory=list)
    _random: random.Random = field(default_factory=random.Random)

    def call(self, service: str, account: str, region: str, operation: str, params: Mapping[str, Any]) -> Any:
        client = self.clients.client(service, account, region)  # type: ignore[call-overload]
        method = getattr(client, _snake(operation))
        mutating = not operation.startswith(("Get", "List"))
        for attempt in range(_EXTRA_THROTTLE_RETRIES + 1):
            try:
                with self.call_slots:
                    response = method(**params)
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code in _THROTTLING_CODES and attempt < _EXTRA_THROTTLE_RETRIES:
                    delay = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)
                    self.clock.sleep(self._random.uniform(0, delay))
                    continue
                if mutating:
                    self._record(service, account, region, operation, params, _error_text(error))
                raise
            if mutating:
                self._record(service, account, region, operation, params, None)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(
        self,
        service: str,
        account: str,
        region: str,
        operation: str,
        params: Mapping[str, Any],
        error: str | None,
    ) -> None:
        request = {k: v for k, v in params.items() if k not in _UNREPORTED_MEMBERS}
        self.calls.append(CallRecord(service, operation, account, region, request, error))

    def wait_until(
        self, address: str, check: Callable[[], tuple[bool, str]], what: str, outputs: Mapping[str, str]
    ) -> None:
        """Poll `check` (-> (finished, status)) until it says finished; StepTimeoutError (carrying `outputs`,
        e.g. the job's ARN for the report) at the deadline or when the run is interrupted."""
        last_status = ""
        while True:
            finished, status = check()
            if status != last_status:
                self.progress(address, status)
                last_status = status
            if finished:
                return
            if self.stop.is_set():
                raise StepTimeoutError(
                    f"interrupted while {what} is {status}; the next apply waits for it", outputs
                )
            if self.deadline is not None and self.clock.now() + self.poll_seconds > self.deadline:
                raise StepTimeoutError(f"{what} is still {status}; the next apply waits for it", outputs)
            self.clock.sleep(self.poll_seconds)


def _snake(operation: str) -> str:
    out = []
    for index, char in enumerate(operation):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _error_text(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Unknown')}: {details.get('Message', str(error))}"


def transient(error: BaseException) -> bool:
    """A read that may well succeed if asked again: throttling, a server error, the network or an account
    briefly unreachable. Not a missing resource or a refusal, which asking again does not change."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return code in _THROTTLING_CODES or code in _SERVER_ERROR_CODES or status >= 500
    if isinstance(error, ParamValidationError | NoCredentialsError):
        return False
    return isinstance(error, BotoCoreError | AwsAccessError)


def describe_failure(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return _error_text(error)
    if isinstance(error, BotoCoreError):
        return f"{type(error).__name__}: {error}"
    return str(error)


# -- the steps ---------------------------------------------------------------------------------------------

Step = Callable[[StepContext, Action, dict[str, Any]], dict[str, str]]


def _create_share(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
    if params.get("allowExternalPrincipals") is not False:
        # Bedrock custom models may only be shared inside the organization; never widen a share.
        raise StepFailedError("refusing a RAM share that allows external principals")
    response = ctx.call("ram", action.account, action.region, "CreateResourceShare", params)
    share = response["resourceShare"]
    if share.get("status") not in _USABLE_SHARE_STATES:
        # RAM answered a repeated token with the share it made for it, which is gone since (a DELETED share
        # is not a share): ask again with a token of this new generation.
        params = {
            **params,
            "clientToken": request_token(
                "CreateResourceShare",
                action.account,
                action.region,
                params,
                generation=[str(params.get("clientToken")), str(share.get("resourceShareArn"))],
            ),
        }
        response = ctx.call("ram", action.account, action.region, "CreateResourceShare", params)
        share = response["resourceShare"]
        if share.get("status") not in _USABLE_SHARE_STATES:
            raise StepFailedError(
                f"RAM answered CreateResourceShare with share {share.get('resourceShareArn')}, which is "
                f"{share.get('status')}, not a usable share; nothing was shared"
            )
    share_arn = str(share["resourceShareArn"])
    _accept_pending_invitations(ctx, action, share_arn, params.get("principals", []))
    return {"resourceShareArn": share_arn}


def _associate_share(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
    ctx.call("ram", action.account, action.region, "AssociateResourceShare", params)
    share_arn = str(params["resourceShareArn"])
    _accept_pending_invitations(ctx, action, share_arn, params.get("principals", []))
    return {"resourceShareArn": share_arn}


def _accept_pending_invitations(
    ctx: StepContext, action: Action, share_arn: str, principals: list[str]
) -> None:
    """Outside an organization with RAM sharing enabled, a new principal gets an invitation that it must
    accept before it can copy the model: accept it in the recipient account, as the plan said it would."""
    for principal in principals:
        response = ctx.call(
            "ram",
            principal,
            action.region,
            "GetResourceShareInvitations",
            {"resourceShareArns": [share_arn]},
        )
        for invitation in response.get("resourceShareInvitations", []):
            if invitation.get("status") == "PENDING" and invitation.get("receiverAccountId") == principal:
                ctx.call(
                    "ram",
                    principal,
                    action.region,
                    "AcceptResourceShareInvitation",
                    {"resourceShareInvitationArn": invitation["resourceShareInvitationArn"]},
                )


def _accept_invitation(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
    ctx.call("ram", action.account, action.region, "AcceptResourceShareInvitation", params)
    return {"resourceShareInvitationArn": str(params["resourceShareInvitationArn"])}


class _Waiter(NamedTuple):
    """How to watch one kind of asynchronous resource until it is usable."""

    what: str  # for messages, e.g. "copy job"
    operation: str  # the Get call
    identifier: str  # its request member naming the resource
    arn_member: str  # the create response member (and step output) naming the resource
    # The resource as Get returns it -> (status to show, finished, failed).
    read: Callable[[Mapping[str, Any]], tuple[str, bool, bool]]
    # Outputs a finished resource adds, e.g. the copy's targetModelArn.
    produces: Callable[[Mapping[str, Any]], dict[str, str]] = lambda _resource: {}


def _deployment_state(deployment: Mapping[str, Any]) -> tuple[str, bool, bool]:
    status = str(deployment["status"])
    update_status = str((deployment.get("updateDetails") or {}).get("updateStatus", ""))
    failed = status == "Failed" or update_status == "UpdateFailed"
    if update_status == "Updating":
        return "Updating", False, failed
    return status, status == "Active", failed


_COPY_JOB = _Waiter(
    "copy job",
    "GetModelCopyJob",
    "jobArn",
    "jobArn",
    lambda job: (str(job["status"]), job["status"] == "Completed", job["status"] == "Failed"),
    lambda job: {"targetModelArn": str(job["targetModelArn"])},
)
_THROUGHPUT = _Waiter(
    "provisioned throughput",
    "GetProvisionedModelThroughput",
    "provisionedModelId",
    "provisionedModelArn",
    lambda pt: (str(pt["status"]), pt["status"] == "InService", pt["status"] == "Failed"),
)
_DEPLOYMENT = _Waiter(
    "custom model deployment",
    "GetCustomModelDeployment",
    "customModelDeploymentIdentifier",
    "customModelDeploymentArn",
    _deployment_state,
)


def _wait(
    ctx: StepContext, action: Action, waiter: _Waiter, arn: str, outputs: dict[str, str]
) -> dict[str, str]:
    unread = [0]  # status reads in a row that failed

    def check() -> tuple[bool, str]:
        try:
            resource = ctx.call(
                "bedrock", action.account, action.region, waiter.operation, {waiter.identifier: arn}
            )
        except (ClientError, BotoCoreError, AwsAccessError) as error:
            if not transient(error):
                raise
            # A read that failed says nothing about the job: keep waiting; only AWS's Failed status fails.
            unread[0] += 1
            if unread[0] > MAX_UNREAD_POLLS:
                raise StepTimeoutError(
                    f"{waiter.what} {arn}: its status could not be read {unread[0]} times in a row "
                    f"({describe_failure(error)}); the next apply waits for it",
                    outputs,
                ) from None
            return False, f"status unknown ({describe_failure(error)}); still waiting"
        unread[0] = 0
        status, finished, failed = waiter.read(resource)
        if failed:
            reason = resource.get("failureMessage") or "no reason given"
            raise StepFailedError(f"{waiter.what} {arn} failed: {reason}", outputs)
        if finished:
            outputs.update(waiter.produces(resource))
        return finished, status

    ctx.wait_until(action.address, check, f"{waiter.what} {arn}", outputs)
    return outputs


def _asynchronous(operation: str, waiter: _Waiter) -> Step:
    """Make (or, for the Get operation itself, find) a resource, then wait until it is usable. An update
    whose response does not name the resource names it in its request."""

    def step(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
        if operation == waiter.operation:
            arn = str(params[waiter.identifier])
        else:
            response = ctx.call("bedrock", action.account, action.region, operation, params)
            arn = str(response.get(waiter.arn_member) or params[waiter.identifier])
        return _wait(ctx, action, waiter, arn, {waiter.arn_member: arn})

    return step


def _tag(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
    ctx.call("bedrock", action.account, action.region, "TagResource", params)
    return {}


def _delete_bedrock(operation: str, identifier: str) -> Step:
    def step(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
        arn = str(params[identifier])
        tags = ctx.call("bedrock", action.account, action.region, "ListTagsForResource", {"resourceARN": arn})
        live_tags = {tag["key"]: tag["value"] for tag in tags.get("tags", [])}
        if not is_managed(live_tags):
            # Checked again right before deleting: the plan may be old, and unmanaged things are sacred.
            raise StepFailedError(f"refusing to delete {arn}: it does not carry the bedrock-gitops tags")
        ctx.call("bedrock", action.account, action.region, operation, params)
        return {"deleted": arn}

    return step


def _share_change(operation: str) -> Step:
    def step(ctx: StepContext, action: Action, params: dict[str, Any]) -> dict[str, str]:
        return _change_managed_share(ctx, action, operation, params)

    return step


def _change_managed_share(
    ctx: StepContext, action: Action, operation: str, params: dict[str, Any]
) -> dict[str, str]:
    share_arn = str(params["resourceShareArn"])
    response = ctx.call(
        "ram",
        action.account,
        action.region,
        "GetResourceShares",
        {"resourceShareArns": [share_arn], "resourceOwner": "SELF"},
    )
    shares = response.get("resourceShares", [])
    tags = {tag["key"]: tag["value"] for share in shares for tag in share.get("tags", [])}
    if not is_managed(tags):
        raise StepFailedError(
            f"refusing to change share {share_arn}: it does not carry the bedrock-gitops tags"
        )
    ctx.call("ram", action.account, action.region, operation, params)
    return {"resourceShareArn": share_arn}


STEPS: dict[str, Step] = {
    "CreateResourceShare": _create_share,
    "AssociateResourceShare": _associate_share,
    "AcceptResourceShareInvitation": _accept_invitation,
    "CreateModelCopyJob": _asynchronous("CreateModelCopyJob", _COPY_JOB),
    "GetModelCopyJob": _asynchronous("GetModelCopyJob", _COPY_JOB),
    "CreateProvisionedModelThroughput": _asynchronous("CreateProvisionedModelThroughput", _THROUGHPUT),
    "UpdateProvisionedModelThroughput": _asynchronous("UpdateProvisionedModelThroughput", _THROUGHPUT),
    "GetProvisionedModelThroughput": _asynchronous("GetProvisionedModelThroughput", _THROUGHPUT),
    "CreateCustomModelDeployment": _asynchronous("CreateCustomModelDeployment", _DEPLOYMENT),
    "UpdateCustomModelDeployment": _asynchronous("UpdateCustomModelDeployment", _DEPLOYMENT),
    "GetCustomModelDeployment": _asynchronous("GetCustomModelDeployment", _DEPLOYMENT),
    "TagResource": _tag,
    "DeleteProvisionedModelThroughput": _delete_bedrock(
        "DeleteProvisionedModelThroughput", "provisionedModelId"
    ),
    "DeleteCustomModelDeployment": _delete_bedrock(
        "DeleteCustomModelDeployment", "customModelDeploymentIdentifier"
    ),
    "DeleteCustomModel": _delete_bedrock("DeleteCustomModel", "modelIdentifier"),
    "DisassociateResourceShare": _share_change("DisassociateResourceShare"),
    "DeleteResourceShare": _share_change("DeleteResourceShare"),
}
