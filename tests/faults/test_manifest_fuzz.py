"""Property-based fuzzing of manifests: whatever the input, `plan` never shows a traceback, reports every
problem at a file:line location, and makes no AWS call at all for invalid input."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from tests.documents import key_paths
from tests.examples import copy_examples

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(
    p.relative_to(REPO).as_posix()
    for folder in ("models", "environments")
    for p in (REPO / folder).glob("*.yaml")
)
LOCATED = re.compile(r"^(models|environments)/[^:\s]+\.ya?ml:\d+(:\d+)?: ")
NASTY = st.text(
    alphabet=st.sampled_from([*list("abc019 :-_[]{}\"'#&*!|>%@`,.?\t\n\\"), "é", "\u2028", "\x00"]),
    max_size=12,
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True),
    NASTY,
    st.lists(NASTY, max_size=3),
    st.dictionaries(NASTY, NASTY, max_size=2),
)


# Examples per property: a bounded profile in the test suite; benchmarks/fuzz_manifests.py runs the long one
# (10,000 manifests) by setting BEDROCK_GITOPS_FUZZ_EXAMPLES.
EXAMPLES = int(os.environ.get("BEDROCK_GITOPS_FUZZ_EXAMPLES", "40"))
# The long run counts the manifests checked (after `assume`) here, one line per manifest.
TALLY = os.environ.get("BEDROCK_GITOPS_FUZZ_TALLY")


class NoAwsError(AssertionError):
    pass


# Every attempt to make an AWS client or send a request during the current example (the fixture refuses it
# too; recording it as well means a caller that swallows the refusal still fails the property).
AWS_ATTEMPTS: list[str] = []


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to build an AWS client or send a request fails the test."""

    def refuse(*_: Any, **__: Any) -> None:
        AWS_ATTEMPTS.append("an AWS client was made or called")
        raise NoAwsError("an AWS client was made or called for invalid manifests")

    monkeypatch.setattr("reconciler.aws.clients.AwsClients.__init__", refuse)
    monkeypatch.setattr("botocore.client.BaseClient._make_api_call", refuse)
    monkeypatch.setattr("boto3.session.Session.__init__", refuse)


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the example manifests for every example of the module: each example overwrites one file
    and puts it back (copying and deleting a repository per example cost more than checking it)."""
    return copy_examples(tmp_path_factory.mktemp("bgo-fuzz"))


def _check_invalid(root: Path, relative: str, text: str | bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """Plan `root` with `relative` replaced by `text`: exit 1, no traceback or internal error, every problem
    at a file:line location, no AWS call. An example whose manifests are still valid (a mutation may leave
    them so) is discarded; `validate` is asked only when plan did not pass, as a valid set makes plan reach
    for AWS (refused here), which a passing plan never did."""
    target = root / relative
    original = target.read_bytes()
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8", errors="surrogateescape")
    AWS_ATTEMPTS.clear()
    try:
        capsys.readouterr()
        code = main(["plan", "--sandbox", "--root", str(root), "--debug"])
        out, err = capsys.readouterr()
        attempts = list(AWS_ATTEMPTS)
        errors = [line for line in err.splitlines() if line and not line.startswith((" ", "\t"))]
        problems = [line for line in errors if not re.search(r"^\d+ errors? in the manifests\.$", line)]
        unlocated = [line for line in problems if not LOCATED.match(line)]
        passed = (
            code == 1
            and not attempts
            and "Traceback" not in out + err
            and "Internal error" not in err
            and problems
            and not unlocated
        )
        if not passed:
            assume(main(["validate", "--root", str(root)]) != 0)
            capsys.readouterr()
    finally:
        target.write_bytes(original)
    if TALLY:
        with open(TALLY, "a", encoding="utf-8") as tally:
            tally.write("checked\n")
    assert not attempts, err
    assert code == 1
    assert "Traceback" not in out + err
    assert "Internal error" not in err
    assert problems, err
    assert not unlocated, err


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    relative=st.sampled_from(FILES),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 3), NASTY),
        min_size=1,
        max_size=3,
    ),
)
def test_text_mutations_give_located_errors_and_no_aws_call(
    relative: str,
    edits: list[tuple[int, int, str]],
    scratch_repo: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (REPO / relative).read_text()
    for position, removed, inserted in edits:
        at = position % (len(text) + 1)
        text = text[:at] + inserted + text[at + removed :]
    _check_invalid(scratch_repo, relative, text, capsys)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(relative=st.sampled_from(FILES), data=st.data())
def test_structural_mutations_give_located_errors_and_no_aws_call(
    relative: str, data: st.DataObject, scratch_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load((REPO / relative).read_text())
    paths = [p for p in key_paths(document) if p]
    path = data.draw(st.sampled_from(paths))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(VALUES)
    _check_invalid(scratch_repo, relative, yaml.safe_dump(document, allow_unicode=True), capsys)


# Values past the documented limits (README, "Limits") and around them: numbers of every length up to past
# Python's 4,300-digit int limit, nesting past libyaml's own 1,000 levels, in lists and in mappings.
HUGE_NUMBERS = st.builds(
    lambda sign, digits, fraction: sign + digits + fraction,
    st.sampled_from(["", "-", "+", "0", "0o", "0x"]),
    st.integers(1, 6000).map(lambda n: "7" * n),
    st.sampled_from(["", ".5", "e999", ".0e-99999"]),
)
DEEP_NESTING = st.builds(
    lambda depth, opening, leaf: opening * depth + leaf + {"[": "]", "{a: ": "}"}[opening] * depth,
    st.integers(1, 1200),
    st.sampled_from(["[", "{a: "]),
    st.sampled_from(["", "1", "x", "[]", "{}"]),
)
HOSTILE_VALUES = st.one_of(HUGE_NUMBERS, DEEP_NESTING, NASTY)
ENCODINGS = st.sampled_from(
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "shift_jis"]
)


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(relative=st.sampled_from(FILES), data=st.data())
def test_hostile_values_and_encodings_give_located_errors_and_no_aws_call(
    relative: str, data: st.DataObject, scratch_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (REPO / relative).read_text().splitlines(keepends=True)
    settable = [index for index, line in enumerate(lines) if re.match(r"^\s*(- )?[\w-]+: \S", line)]
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.sampled_from(settable))
        key = lines[index].split(": ", 1)[0]
        lines[index] = f"{key}: {data.draw(HOSTILE_VALUES)}\n"
    text = "".join(lines)
    if data.draw(st.booleans()):
        text = text.replace("\n", data.draw(st.sampled_from(["\r\n", "\r"])))
    encoded = _encode(text, data.draw(ENCODINGS))
    _check_invalid(scratch_repo, relative, encoded, capsys)
