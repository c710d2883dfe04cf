"""The Bedrock support table (reconciler/data/bedrock-support.json): where a base model's custom models can be
copied, served with provisioned throughput, or deployed on demand.

One table, two readers: the preflight checks (reconciler/aws/preflight_capacity.py) report a plan that needs
what the table does not list, and the sandbox (reconciler/sandbox/) refuses the same requests, as AWS does.
Each row names the page it was read from, the row of that page's table, and the day it was read.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal, NamedTuple

Need = Literal["copy", "provisioned", "onDemand"]
NEEDS: tuple[Need, ...] = ("copy", "provisioned", "onDemand")
WORDS: dict[Need, str] = {
    "copy": "model copy",
    "provisioned": "provisioned throughput",
    "onDemand": "on-demand deployment",
}
TABLE_PATH = "reconciler/data/bedrock-support.json"


class Page(NamedTuple):
    title: str
    url: str


class SupportRow(NamedTuple):
    """One base model's support for one need, as read from one page on one day."""

    base_model_id: str
    need: Need
    regions: tuple[str, ...]
    page: Page
    row: str
    read: str
    note: str

    def cite(self) -> str:
        """`"<page title>" (<url>), row <row>, read <date>` for messages and comments."""
        return f'"{self.page.title}" ({self.page.url}), row "{self.row}", read {self.read}'


@cache
def table() -> dict[str, Any]:
    """The raw table (pages, models, quotas, KMS actions)."""
    text = resources.files("reconciler").joinpath("data/bedrock-support.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def page(name: str) -> Page:
    entry = table()["pages"][name]
    return Page(str(entry["title"]), str(entry["url"]))


def support_row(base_model_id: str, need: Need) -> SupportRow | None:
    """The row for `base_model_id` (a contextual variant such as `amazon.nova-pro-v1:0:300k`), or None when
    the table does not list the base model at all."""
    entry = table()["models"].get(base_model_id)
    if entry is None:
        return None
    row = entry[need]
    return SupportRow(
        base_model_id=base_model_id,
        need=need,
        regions=tuple(row["regions"]),
        page=page(str(row["page"])),
        row=str(row["row"]),
        read=str(row["read"]),
        note=str(row.get("note", "")),
    )


def supports(base_model_id: str, need: Need, region: str) -> bool:
    """Whether the table lists `region` for `need` of `base_model_id` (False for an unlisted base model)."""
    row = support_row(base_model_id, need)
    return row is not None and region in row.regions


def base_model_of_arn(model_arn: str) -> str:
    """`amazon.nova-pro-v1:0:300k` from `arn:aws:bedrock:<region>:<account>:custom-model/<base>/<id>`;
    "" for any other ARN."""
    resource = model_arn.split(":", 5)[5] if model_arn.count(":") >= 5 else ""
    parts = resource.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "custom-model" else ""
