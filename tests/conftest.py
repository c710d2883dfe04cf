"""Suite-wide safety and the sandbox fixture.

Nothing may reach real AWS: credentials are fake and every Bedrock/RAM request goes to the sandbox. Every
such request made anywhere in the suite is recorded and, at the end of the run, replayed against botocore's
service model (its own parameter validation plus the patterns, enums and bounds it leaves to AWS); one
invalid request fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from reconciler.sandbox.estate import RECORD_ENV_VAR, SandboxEstate
from reconciler.sandbox.replay import invalid_requests

_RECORD_DIR_VAR = "BEDROCK_GITOPS_TEST_RECORD_DIR"
# CI explores the same examples on every run (a landing must not depend on luck); a developer's run explores
# new ones each time (set HYPOTHESIS_PROFILE=ci to reproduce CI).
settings.register_profile("ci", derandomize=True)
if os.environ.get("HYPOTHESIS_PROFILE") == "ci" or os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    # The controller makes the record directory; xdist workers inherit it through the environment.
    if not hasattr(config, "workerinput") and _RECORD_DIR_VAR not in os.environ:
        os.environ[_RECORD_DIR_VAR] = tempfile.mkdtemp(prefix="bedrock-gitops-requests-")
    os.environ[RECORD_ENV_VAR] = os.environ[_RECORD_DIR_VAR]
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return
    directory = Path(os.environ[_RECORD_DIR_VAR])
    records = [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    problems = invalid_requests(records)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"Replayed {len(records)} recorded Bedrock/RAM requests against botocore's service model: "
            f"{len(problems)} invalid."
        )
        for problem in problems[:20]:
            reporter.write_line(f"  INVALID REQUEST: {problem}", red=True)
    shutil.rmtree(directory, ignore_errors=True)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox"


@pytest.fixture
def sandbox(sandbox_dir: Path) -> Iterator[SandboxEstate]:
    """An open sandbox estate on the seed, with a frozen clock (tests move it with `advance`)."""
    with SandboxEstate.open(sandbox_dir) as estate:
        estate.update_settings(time_scale=0.0)
        yield estate


@pytest.fixture
def recorded(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """This test's own request record; appended to the suite's at the end, so that it is replayed too."""
    suite = os.environ.get(RECORD_ENV_VAR)
    mine = tmp_path / "requests"
    monkeypatch.setenv(RECORD_ENV_VAR, str(mine))
    yield mine
    if suite:
        with open(Path(suite) / f"requests-{request.module.__name__}-{os.getpid()}.jsonl", "a") as stream:
            for path in sorted(mine.glob("*.jsonl")):
                stream.write(path.read_text())
