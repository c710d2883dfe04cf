"""Asking a human for a Terraform-style "yes" on the terminal."""

from __future__ import annotations


def answered_yes(prompt: str) -> bool:
    """True only for the exact answer `yes`; Ctrl-D (no answer) is not a yes."""
    try:
        return input(prompt).strip() == "yes"
    except EOFError:
        return False
