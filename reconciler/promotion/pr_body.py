"""The pull request `ci open-pr` opens for a discovery or a promotion: what changed, the evidence with
links, the plan (promotion) and the promotion status graph. Every value from the manifests or AWS is
escaped (reconciler/comment/escape.py)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.comment.escape import code_lines, md
from reconciler.promotion.change import ChangedVersion, ChangeRecord
from reconciler.promotion.status import ModelStatus, render_markdown

MARKER = "<!-- bedrock-gitops:promotion -->"
MAX_PLAN_CHARACTERS = 40_000  # the body is limited to 65,536 characters


def s3_console_url(uri: str) -> str | None:
    """The S3 console page of an s3:// location (a bucket and a prefix), None for anything else."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    query = urllib.parse.urlencode({"prefix": key}) if key else ""
    return f"https://s3.console.aws.amazon.com/s3/buckets/{urllib.parse.quote(bucket)}" + (
        f"?{query}" if query else ""
    )


def _link(uri: str) -> str:
    url = s3_console_url(uri)
    return f"[{md(uri)}]({url})" if url else md(uri)


def _evidence_lines(evidence: Mapping[str, Any]) -> list[str]:
    job = evidence.get("customizationJob") or {}
    lines = []
    if job.get("name") or job.get("arn"):
        lines.append(f"  - fine-tuning job {md(job.get('name', ''))} (`{md(job.get('arn', ''))}`)")
    for label, key in (("training data", "trainingData"), ("output", "outputData")):
        if isinstance(job.get(key), str):
            lines.append(f"  - {label}: {_link(job[key])}")
    for uri in job.get("validationData") or []:
        lines.append(f"  - validation data: {_link(str(uri))}")
    if job.get("hyperParameters"):
        listed = ", ".join(f"{md(k)}={md(v)}" for k, v in sorted(job["hyperParameters"].items()))
        lines.append(f"  - hyperparameters: {listed}")
    if "trainingLoss" in job:
        lines.append(f"  - training loss: {md(job['trainingLoss'])}")
    return lines


def _version_lines(version: ChangedVersion, kind: str) -> list[str]:
    if kind == "promote":
        regions = f" in {md(', '.join(version.regions))}" if version.regions else ""
        lines = [f"- **{md(version.model)} {md(version.version)}** → `{md(version.environment)}`{regions}"]
        if version.model_arn:
            lines.append(f"  - custom model `{md(version.model_arn)}`")
        return [*lines, *_evidence_lines(version.evidence)]
    return [
        f"- **{md(version.model)} {md(version.version)}**: `{md(version.model_arn)}`",
        *_evidence_lines(version.evidence),
    ]


def render_body(record: ChangeRecord, status: Sequence[ModelStatus], run_url: str = "") -> str:
    heading = "Discovered new model versions" if record.kind == "discover" else "Promotion"
    parts = [MARKER, f"## {md(heading)}", ""]
    for version in record.versions:
        parts += _version_lines(version, record.kind)
    parts.append("")
    if record.kind == "discover":
        parts.append(
            "Review the evidence above, then record what the environments' `requiredEvidence` asks for "
            "(e.g. `approvedBy`) under each version in this branch before merging."
        )
        parts.append("")
    if record.plan_text:
        text = record.plan_text
        if len(text) > MAX_PLAN_CHARACTERS:
            text = text[:MAX_PLAN_CHARACTERS] + "\n... (cut; the plan workflow comments the whole plan)"
        parts += ["<details><summary>Plan for this environment</summary>", "", "```text"]
        parts += [code_lines(text), "```", "", "</details>", ""]
    parts.append(f"Files: {', '.join(f'`{md(f)}`' for f in record.files)}")
    parts.append("")
    if status:
        parts += ["### Promotion status (manifest policies)", "", render_markdown(status)]
    if run_url:
        parts.append(f"_Opened by `bedrock-gitops ci open-pr` in [this run]({run_url})._")
    return "\n".join(parts).rstrip("\n") + "\n"
