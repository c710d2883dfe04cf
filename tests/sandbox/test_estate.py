"""The sandbox as a whole: discovery over it, faults, persistence across processes, the safety nets."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from reconciler.aws.clients import AwsClients
from reconciler.aws.discovery import AwsReadError, discover
from reconciler.cli import main
from reconciler.core.live import Scope
from reconciler.core.scopes import ScopeRead, scopes_to_read
from reconciler.manifests.load import load_manifests
from reconciler.sandbox import hook
from reconciler.sandbox.api import Call
from reconciler.sandbox.estate import SandboxEstate
from reconciler.sandbox.hook import Simulation
from reconciler.sandbox.replay import invalid_requests
from tests.sandbox.test_simulation import DEV, STAGING, V1, client

REPO = Path(__file__).resolve().parents[2]


def reads() -> dict[Scope, ScopeRead]:
    return scopes_to_read(load_manifests(REPO))


def clients(estate: SandboxEstate, **options: int) -> AwsClients:
    roles = {read.scope.account: read.role_arn for read in reads().values()}
    return AwsClients(estate.session(), roles, **options)  # type: ignore[arg-type]


def test_discovery_reads_the_seeded_estate(sandbox: SandboxEstate) -> None:
    aws = clients(sandbox)
    live = discover(aws, reads())
    dev = live.scope(DEV, "us-east-1")
    assert len(dev.custom_models) == 3
    assert {t.name for t in live.scope(STAGING, "us-east-1").throughputs} == {"manual-experiment"}
    assert live.scope("777788889999", "us-east-1").custom_models == ()
    counts = aws.call_counts()
    # The floor: one listing per resource kind per account-Region (plus the RAM reads the plan needs).
    assert counts["bedrock.ListCustomModels"] == len(reads())
    assert counts["sts.AssumeRole"] == 3


def test_account_regions_are_read_concurrently(
    sandbox: SandboxEstate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted, not timed: the peak number of calls waiting on the (simulated) network at once."""
    sandbox.update_settings(latency_seconds=0.2)
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    real_sleep = time.sleep

    def network_wait(seconds: float) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            real_sleep(seconds)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(hook.time, "sleep", network_wait)
    everything = reads()
    assert len(everything) == 3
    discover(clients(sandbox), everything)
    assert peak >= len(everything)
    peak = 0
    discover(clients(sandbox), everything, max_workers=1)
    assert peak == 1


def test_a_calls_latency_includes_the_simulations_own_work(
    sandbox: SandboxEstate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer leaves `latency_seconds` after its request arrived, as AWS's response time includes its
    own work: the simulator's (slower than AWS's) is not added on top. Counted, not timed: every wait the
    sandbox asks for is the latency minus the work already done."""
    sandbox.update_settings(latency_seconds=5.0)
    waits: list[float] = []
    monkeypatch.setattr(hook.time, "sleep", waits.append)  # record the waits instead of waiting
    discover(clients(sandbox), reads())
    assert waits, "no call waited for the simulated latency"
    assert all(0 < wait < 5.0 for wait in waits), waits


def test_an_unreachable_account_fails_discovery_naming_it(sandbox: SandboxEstate) -> None:
    sandbox.update_settings(unreachable_accounts=["777788889999"])
    with pytest.raises(AwsReadError) as caught:
        discover(clients(sandbox), reads())
    message = str(caught.value)
    assert "777788889999" in message
    assert "us-east-1" in message
    assert "Could not connect" in message
    assert DEV not in message


def test_throttling_is_absorbed_by_retries(sandbox: SandboxEstate) -> None:
    sandbox.update_settings(throttle_rate=0.3)
    aws = clients(sandbox)
    live = discover(aws, reads())
    assert len(live.scope(DEV, "us-east-1").custom_models) == 3
    assert sum(aws.retry_counts().values()) > 0


def test_state_persists_across_processes(sandbox: SandboxEstate, sandbox_dir: Path) -> None:
    script = f"""
import boto3
from pathlib import Path
from reconciler.sandbox.estate import SandboxEstate
with SandboxEstate.open(Path({str(sandbox_dir)!r})) as estate:
    sts = estate.session().client("sts")
    c = sts.assume_role(RoleArn="arn:aws:iam::{DEV}:role/R", RoleSessionName="other")["Credentials"]
    ram = boto3.Session(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("ram", "us-east-1")
    ram.create_resource_share(name="from-another-process", resourceArns=[{V1!r}], principals=["{STAGING}"],
                              allowExternalPrincipals=False)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    shares = client(sandbox, "ram", DEV).get_resource_shares(resourceOwner="SELF")["resourceShares"]
    assert [s["name"] for s in shares] == ["from-another-process"]


def test_an_invalid_response_is_caught_as_a_simulation_bug(sandbox: SandboxEstate) -> None:
    def broken(call: Call) -> dict[str, object]:
        return {"modelSummaries": [{"modelArn": "not-an-arn"}]}

    simulation: Simulation = sandbox.simulation
    simulation.handlers = {
        **simulation.handlers,
        "bedrock": {**simulation.handlers["bedrock"], "ListCustomModels": broken},
    }
    with pytest.raises(ClientError) as caught:
        client(sandbox, "bedrock", DEV).list_custom_models()
    assert caught.value.response["Error"]["Code"] == "InternalServerException"
    assert simulation.simulation_bugs
    assert "modelName" in simulation.simulation_bugs[0]


def test_replay_flags_requests_the_service_model_refuses() -> None:
    good = {
        "service": "bedrock",
        "operation": "GetModelCopyJob",
        "account": DEV,
        "region": "us-east-1",
        "params": {"jobArn": "arn:aws:bedrock:us-east-1:111122223333:model-copy-job/abcdefghijkl"},
        "error": None,
    }
    bad = {
        **good,
        "operation": "CreateModelCopyJob",
        "params": {"sourceModelArn": V1, "targetModelName": "a.b"},
    }
    missing = {**good, "operation": "CreateModelCopyJob", "params": {"sourceModelArn": V1}}
    refused = {**bad, "error": "ValidationException"}
    problems = invalid_requests([good, bad, missing, refused])
    assert len(problems) == 2
    assert "targetModelName" in problems[0]
    assert "Missing required parameter" in problems[1]


def test_sandbox_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEDROCK_GITOPS_SANDBOX_DIR", str(tmp_path / "sb"))
    assert (
        main(["sandbox", "set", "latency_seconds=0.01", "failing_copy_targets=444455556666/us-west-2"]) == 0
    )
    assert main(["sandbox", "advance", "60"]) == 0
    assert main(["sandbox", "status"]) == 0
    out = capsys.readouterr().out
    assert '"latency_seconds": 0.01' in out
    assert '"failing_copy_targets": ["444455556666/us-west-2"]' in out
    assert "111122223333  dev (and the source of the fine-tuned models)" in out
    assert out.count("fine-tuned model        111122223333  us-east-1") == 3
    assert main(["sandbox", "status", "--json", "--sandbox"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "777788889999" in document["accounts"]
    assert {r["kind"] for r in document["resources"]} >= {"fine-tuned model", "provisioned throughput"}
    assert main(["sandbox", "set", "latency=1"]) == 1
    assert "did you mean 'latency_seconds'?" in capsys.readouterr().err
    assert main(["sandbox", "reset"]) == 0
    assert main(["sandbox", "status"]) == 0
    assert '"latency_seconds": 0.0' in capsys.readouterr().out
