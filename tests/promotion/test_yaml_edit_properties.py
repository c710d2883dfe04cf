"""Property: whatever the file's indentation, comments and blank lines, appending a list entry adds lines
and changes none, and the result reads back as the old list plus the new entry."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.promotion.yaml_edit import append_to_list, load, plain_data

names = st.sampled_from(["a", "x1", "yes", "0.5", "true", "null", "s3://b/k"])
comments = st.lists(st.sampled_from(["", "# note", "#", "   # indented", "# - name: fake"]), max_size=2)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, int]:
    step = draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from([step, 2 * step]))  # the list under its key, indented once or twice
    count = draw(st.integers(1, 3))
    lines = ["# header", "spec:", " " * step + "versions:"]
    for index in range(count):
        lines += [" " * dash + c if c.strip() else "" for c in draw(comments)]
        lines.append(" " * dash + f"- name: v{index}  # pinned")
        lines.append(" " * (dash + 2) + f"note: {draw(names)}")
        lines += [" " * (dash + 2) + c if c.strip() else "" for c in draw(comments)]
    lines += [" " * step + c if c.strip() else "" for c in draw(comments)]
    lines.append(" " * step + "after: 1")
    return "\n".join(lines) + "\n", count


@settings(max_examples=25, deadline=None)
@given(documents(), names)
def test_appending_only_adds_lines(document: tuple[str, int], value: str) -> None:
    text, count = document
    item = {"name": f"v{count}", "evidence": {"by": value, "list": [value]}}
    after = append_to_list(text, ("spec", "versions"), item, "m.yaml")
    diff = list(difflib.ndiff(text.splitlines(), after.splitlines()))
    assert not [line for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    assert len(added) == 5
    assert plain_data(load(after, "m.yaml"))["spec"]["versions"][-1] == item
    assert plain_data(load(after, "m.yaml"))["spec"]["after"] == 1
