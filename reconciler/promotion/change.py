"""What `versions discover` and `promote` changed, as data: written to a file (`--record FILE`) so that
`ci open-pr` can commit exactly those files and describe the change in the pull request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reconciler.errors import ReconcilerError

ChangeKind = Literal["discover", "promote"]
RECORD_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ChangedVersion:
    """One version added (discover) or promoted (promote)."""

    model: str
    version: str
    model_arn: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    environment: str | None = None
    regions: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    kind: ChangeKind
    title: str
    branch: str
    files: tuple[str, ...]  # relative to the repository root, posix
    versions: tuple[ChangedVersion, ...]
    plan_text: str = ""  # promote: the environment's plan, as printed

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "kind": self.kind,
            "title": self.title,
            "branch": self.branch,
            "files": list(self.files),
            "versions": [
                {
                    "model": v.model,
                    "version": v.version,
                    "modelArn": v.model_arn,
                    "evidence": dict(v.evidence),
                    "environment": v.environment,
                    "regions": list(v.regions) if v.regions is not None else None,
                }
                for v in self.versions
            ],
            "planText": self.plan_text,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str) -> ChangeRecord:
        try:
            if data["format"] != RECORD_FORMAT or data["kind"] not in ("discover", "promote"):
                raise ValueError("unknown format or kind")
            versions = tuple(
                ChangedVersion(
                    model=str(v["model"]),
                    version=str(v["version"]),
                    model_arn=str(v["modelArn"]),
                    evidence=dict(v.get("evidence") or {}),
                    environment=v.get("environment"),
                    regions=tuple(v["regions"]) if v.get("regions") is not None else None,
                )
                for v in data["versions"]
            )
            return cls(
                kind=data["kind"],
                title=str(data["title"]),
                branch=str(data["branch"]),
                files=tuple(str(f) for f in data["files"]),
                versions=versions,
                plan_text=str(data.get("planText", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ReconcilerError(
                f"{source} is not a change record of this version of bedrock-gitops ({error}); write it "
                "again with `versions discover --record FILE` or `promote ... --record FILE`"
            ) from None


def write_record(record: ChangeRecord, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as error:
        raise ReconcilerError(f"cannot write the change record {path}: {error.strerror}") from None


def read_record(path: Path) -> ChangeRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReconcilerError(
            f"cannot read the change record {path}: {error.strerror}; make it with `versions discover "
            "--record FILE` or `promote ... --record FILE` first"
        ) from None
    except ValueError:
        raise ReconcilerError(f"{path} is not JSON; it must be a change record") from None
    if not isinstance(data, dict):
        raise ReconcilerError(f"{path} is not a change record")
    return ChangeRecord.from_json(data, str(path))


def discover_branch() -> str:
    """One branch (and so one pull request) for discovery, updated by every run until it is merged."""
    return "bedrock-gitops/discover"


def promote_branch(model: str, version: str, environment: str) -> str:
    return f"bedrock-gitops/promote-{model}-{version}-to-{environment}"


def summary_titles(versions: Sequence[ChangedVersion], kind: ChangeKind) -> str:
    if kind == "discover":
        listed = ", ".join(f"{v.model} {v.version}" for v in versions)
        return f"Discovered new model versions: {listed}"
    (only,) = versions
    return f"Promote {only.model} {only.version} to {only.environment}"
