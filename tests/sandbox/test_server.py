"""The sandbox served from a process of its own (sandbox/server.py, used by the benchmarks): a plan through
it is the plan in-process, its refusals and faults reach the client as they do in-process, and a missing
server is a clear error."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.sandbox.estate import DIRECTORY_ENV_VAR, SandboxEstate
from reconciler.sandbox.remote import SERVER_ENV_VAR, remote_now, remote_session
from reconciler.sandbox.server import launch

REPO = Path(__file__).resolve().parents[2]
PROD = "777788889999"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder in ("models", "environments"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def _seeded(directory: Path, **settings: object) -> Path:
    with SandboxEstate.open(directory) as estate:
        estate.update_settings(time_scale=0.0, **settings)
    return directory


class Server:
    """A sandbox server process on `directory` (seeded by the test first), listening on `socket_path`."""

    def __init__(self, directory: Path, socket_path: Path) -> None:
        self.directory, self.socket_path = directory, socket_path
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = launch(self.directory, self.socket_path)  # raises unless the server says "ready"

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.process.terminate()
        return self.process.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "served", tmp_path / "sandbox.sock")
    yield server
    assert server.stop() in (0, None), "the server did not stop cleanly on SIGTERM"


def _plan_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path, directory: Path
) -> dict[str, object]:
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(directory))
    code = main(["plan", "--sandbox", "--root", str(repo), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document: dict[str, object] = json.loads(out)
    return document


def test_a_plan_through_the_server_is_the_plan_in_process(
    repo: Path,
    tmp_path: Path,
    served: Server,
    recorded: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory, socket_path = served.directory, served.socket_path
    in_process = _seeded(tmp_path / "in-process")
    shutil.copytree(in_process, directory)  # the same estate, clock included
    expected = _plan_json(capsys, monkeypatch, repo, in_process)
    served.start()
    monkeypatch.setenv(SERVER_ENV_VAR, str(socket_path))
    through_server = _plan_json(capsys, monkeypatch, repo, directory)
    assert through_server["actions"], "the seed needs changes: the comparison would say little"
    assert through_server == expected
    assert served.process is not None
    answered = (recorded / f"requests-{served.process.pid}.jsonl").read_text()
    assert '"ListCustomModels"' in answered, "the server process did not answer the plan's reads"


def test_an_unreachable_account_is_named_through_the_server(
    repo: Path,
    served: Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory, socket_path = served.directory, served.socket_path
    _seeded(directory, unreachable_accounts=[PROD])
    served.start()
    monkeypatch.setenv(SERVER_ENV_VAR, str(socket_path))
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(directory))
    assert main(["plan", "--sandbox", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert f"account {PROD}" in err
    assert "unreachable_accounts" in err
    assert "Traceback" not in err


def test_a_missing_server_is_a_clear_error(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SERVER_ENV_VAR, str(tmp_path / "nobody.sock"))
    monkeypatch.setenv(DIRECTORY_ENV_VAR, str(_seeded(tmp_path / "sandbox")))
    assert main(["plan", "--sandbox", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "no sandbox server answers at" in err
    assert "nobody.sock" in err
    assert "Traceback" not in err


def test_the_plan_reads_the_simulated_clock_from_the_server(served: Server) -> None:
    with SandboxEstate.open(served.directory) as estate:
        estate.update_settings(time_scale=0.0)
        simulated = estate.advance(36 * 3600)  # well away from the local clock
    served.start()
    with remote_session(served.socket_path):
        assert remote_now() == simulated.timestamp()
    assert remote_now() is None  # closed: the in-process sandbox's clock again
