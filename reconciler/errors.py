"""Errors the user can act on. Each one says where, what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ManifestError:
    """One problem in one manifest file, located to the line and column (both 1-based)."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        # One line per error, whatever the manifest holds (a key may contain a newline or an escape code).
        text = f"{self.file}:{self.line}:{self.column}: error: {_printable(self.message)}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class ReconcilerError(Exception):
    """An error the CLI reports as text (no traceback) and exits 1 for."""


class ManifestErrors(ReconcilerError):
    """Every problem found in the manifests of one run, reported together."""

    def __init__(self, errors: Iterable[ManifestError]) -> None:
        self.errors = tuple(sorted(errors, key=lambda e: (e.file, e.line, e.column, e.message)))
        super().__init__("\n".join(str(e) for e in self.errors))


class AwsAccessError(ReconcilerError):
    """AWS could not be read or written in one account/Region; the message names both."""

    def __init__(self, account: str, region: str, message: str) -> None:
        self.account = account
        self.region = region
        super().__init__(f"account {account}, Region {region}: {message}")
