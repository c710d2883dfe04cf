"""Escaping for text that comes from manifests, AWS or users and ends up in a GitHub comment.

GitHub renders Markdown (GFM: tables, autolinks, math, mentions, issue references) mixed with a safe subset
of HTML. Any user-controlled string (a model or environment name, a tag value, evidence, an AWS error
message) must read as plain text wherever it lands: in a paragraph, a table cell, a list item, or inside
an HTML element such as <summary>. `md` makes that true with one rule: every character that has a meaning
in Markdown or HTML becomes a numeric character reference (`&#60;`), which both the Markdown and the HTML
parsers turn back into the literal character, never into markup. Mentions and issue references are broken
with an invisible WORD JOINER so that a name like `@org/security` does not page a team. Control and
formatting characters (newlines, ESC, bidi overrides) are shown as visible escapes (`\\n`, `\\u202e`).

Inside fenced code blocks entities are not decoded, so code text uses `code_block_text` instead, and
Mermaid labels `mermaid_label`.
"""

from __future__ import annotations

import unicodedata

WORD_JOINER = "\u2060"
# Characters that never mean anything in Markdown or HTML, wherever they appear in a line.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,/:=;")


def _visible(char: str) -> str:
    """A control or formatting character as a readable escape, e.g. `\\n` or `\\u202e`."""
    escaped = char.encode("unicode_escape").decode("ascii")
    return escaped.replace("\\", "&#92;")


def _unsafe(char: str) -> bool:
    return not char.isprintable() or unicodedata.category(char) in {"Cf", "Zl", "Zp"}


def md(value: object) -> str:
    """`value` as inert text for Markdown and HTML contexts (paragraphs, table cells, <summary>...)."""
    text = str(value)
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _PLAIN:
            out.append(char)
        elif char == "-" and index > 0:
            out.append(char)  # only a leading `-` can start a list item
        elif char == "." and index > 0 and not text[:index].isdigit():
            out.append(char)  # only `1.` at the start can start an ordered list
        elif _unsafe(char):
            out.append(_visible(char))
        elif ord(char) > 127:
            out.append(char)  # letters and symbols of other scripts are text (formatting chars handled above)
        elif char in "@#":
            out.append(f"&#{ord(char)};{WORD_JOINER}")
        else:
            out.append(f"&#{ord(char)};")
    return "".join(out)


def code_block_text(value: object) -> str:
    """`value` for a line inside a fenced code block: control characters (newlines included) escaped, so
    it can neither start a new line (and close the fence) nor repaint anything. Backticks and tildes are
    kept: a fence can only be closed by a line that starts with them, and escaped text never starts a
    line. Text of several lines that we built ourselves goes line by line (`code_lines`)."""
    return "".join(_visible(c).replace("&#92;", "\\") if _unsafe(c) else c for c in str(value))


def code_lines(text: str) -> str:
    """Lines built by us (each line's user-controlled parts already on that line) for a code block."""
    return "\n".join(code_block_text(line) for line in text.split("\n"))


def mermaid_label(value: object) -> str:
    """`value` for a quoted Mermaid label (`id["label"]`): anything but letters, digits and a few safe
    punctuation characters becomes a Mermaid entity code (`#34;`)."""
    out = []
    for char in str(value):
        if char.isascii() and (char.isalnum() or char in " .,:/-_"):
            out.append(char)
        else:
            out.append(f"#{ord(char)};")
    return "".join(out)


def utf16_length(text: str) -> int:
    """Length as GitHub counts it (JavaScript string length: UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2
