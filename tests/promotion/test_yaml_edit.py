"""Comment-preserving edits: every byte outside the added or replaced lines stays as written."""

from __future__ import annotations

import difflib

import pytest

from reconciler.promotion.yaml_edit import EditError, append_to_list, replace_scalar, set_list_value

MODEL = """\
# yaml-language-server: $schema=../schemas/model.schema.json
apiVersion: bedrock-gitops.io/v1alpha1
kind: Model
metadata:
  name: m   # trailing comment
spec:
  source: {account: "111122223333", region: us-east-1}
  versions:
    - name: v1
      modelArn: arn:aws:bedrock:us-east-1:111122223333:custom-model/a.b/aaaaaaaaaaaa
      evidence:
        approvedBy: 'jane'     # quoted on purpose
        # a comment inside the last entry
    # a comment about what follows the list

  extra: true
"""


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_append_adds_lines_after_the_last_entry_and_its_own_comments_only() -> None:
    item = {"name": "v2", "modelArn": "arn:x", "evidence": {"list": ["a"], "n": 1}}
    after = append_to_list(MODEL, ("spec", "versions"), item, "m.yaml")
    removed, added = _changed_lines(MODEL, after)
    assert removed == []
    assert added == [
        "    - name: v2\n",
        "      modelArn: arn:x\n",
        "      evidence:\n",
        "        list:\n",
        "          - a\n",
        "        n: 1\n",
    ]
    position = after.index("    - name: v2")
    assert after.index("# a comment inside the last entry") < position
    assert position < after.index("    # a comment about what follows the list")
    # everything else, byte for byte
    assert after.replace("".join(added), "") == MODEL


def test_append_to_an_indentless_list_and_a_file_without_final_newline() -> None:
    text = "spec:\n  versions:\n  - name: v1\n    modelArn: a\n  other: 1"
    after = append_to_list(text, ("spec", "versions"), {"name": "v2", "modelArn": "b"}, "m.yaml")
    assert after == (
        "spec:\n  versions:\n  - name: v1\n    modelArn: a\n  - name: v2\n    modelArn: b\n  other: 1\n"
    )


def test_a_flow_style_list_is_refused_with_what_to_do() -> None:
    with pytest.raises(EditError, match="block list"):
        append_to_list("spec:\n  versions: [{name: v1}]\n", ("spec", "versions"), {"name": "v2"}, "m.yaml")


def test_replace_scalar_keeps_the_comment_and_quoting_elsewhere() -> None:
    text = 'models:\n  - name: fa\n    version: "v1"   # the pinned version\n    capacity: {type: none}\n'
    after = replace_scalar(text, ("models", 0, "version"), "v3", "e.yaml")
    assert after == (
        "models:\n  - name: fa\n    version: v3   # the pinned version\n    capacity: {type: none}\n"
    )


def test_values_that_yaml_would_read_otherwise_are_quoted() -> None:
    after = replace_scalar("a:\n  version: v1\n", ("a", "version"), "1.10", "e.yaml")
    assert after == 'a:\n  version: "1.10"\n'


def test_set_list_value_inserts_after_a_key_or_rewrites_the_list_in_place() -> None:
    text = "pin:\n  name: fa\n  version: v1 # c\n  capacity:\n    type: none\n"
    inserted = set_list_value(text, ("pin", "regions"), ["us-east-1"], "version", "e.yaml")
    assert inserted == (
        "pin:\n  name: fa\n  version: v1 # c\n  regions:\n    - us-east-1\n  capacity:\n    type: none\n"
    )
    rewritten = set_list_value(inserted, ("pin", "regions"), ["us-west-2", "us-east-1"], "version", "e.yaml")
    assert rewritten == (
        "pin:\n  name: fa\n  version: v1 # c\n  regions:\n    - us-west-2\n    - us-east-1\n"
        "  capacity:\n    type: none\n"
    )
