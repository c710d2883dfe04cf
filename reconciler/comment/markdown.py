"""Render a comment context into one or more GitHub comments, each within GitHub's size limit.

The templates ship in the package (reconciler/templates/). Every `{{ value }}` is escaped by the
environment's `finalize` (reconciler.comment.escape.md) unless it is `Markup` we built ourselves, so a
template cannot forget to escape. Bodies are packed section by section (header, one section per
environment, footer) into numbered parts of at most `budget` characters; a section too big for one
comment is split by Region, then its action list is cut with a pointer to the plan artifact; beyond
`max_parts`, the remaining sections are replaced by that pointer.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reconciler.comment.context import CommentContext, GroupView, RegionView
from reconciler.comment.escape import code_block_text, code_lines, md, utf16_length
from reconciler.comment.flows import mermaid

GITHUB_COMMENT_LIMIT = 65_536
# Room for the marker and the "part i of n" line, added after packing.
PART_OVERHEAD = 200
DEFAULT_MAX_PARTS = 10
# Below this a part cannot hold the smallest header plus the pointer to the plan artifact.
MIN_COMMENT_LIMIT = 4_000
MARKER_PREFIX = "<!-- bedrock-gitops:"


def marker(kind: str, part: int = 1) -> str:
    """The hidden first line that identifies our comment (and which part it is) among a PR's comments."""
    return f"{MARKER_PREFIX}{kind} part={part} -->"


def _finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else md(value)


def money(value: float | None) -> str:
    if value is None:
        return "not estimated"
    return f"{'+' if value > 0 else '-' if value < 0 else '±'}{abs(value):,.2f}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reconciler", "templates"),
        autoescape=False,  # Markdown, not HTML: escaping is `finalize`, which covers both
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters["code"] = lambda value: Markup(code_lines(str(value)))  # multi-line text we built
    env.filters["codeline"] = lambda value: Markup(code_block_text(value))  # one line, any content
    env.globals["money"] = money
    return env


def render_template(name: str, **values: Any) -> str:
    return environment().get_template(name).render(**values)


MAX_COST_LINES = 40
# Ever smaller headers, tried in turn until one fits: (flow diagram, findings shown, cost lines shown).
HEADER_LEVELS: tuple[tuple[bool, int | None, int], ...] = (
    (True, None, MAX_COST_LINES),
    (False, None, MAX_COST_LINES),
    (False, 20, 10),
    (False, 0, 0),
)


def _header(context: CommentContext, *, diagram: bool, max_findings: int | None, max_cost: int) -> str:
    source, note = mermaid(list(context.flows)) if diagram and context.flows else ("", "")
    findings = context.findings if max_findings is None else context.findings[:max_findings]
    return render_template(
        "comment_header.md.j2",
        **_values(context),
        findings=findings,
        hidden_findings=len(context.findings) - len(findings),
        cost_lines=context.cost.lines[:max_cost],
        hidden_cost_lines=len(context.cost.lines) - min(len(context.cost.lines), max_cost),
        diagram=source,
        diagram_note=note if diagram else "The flow diagram is left out to stay within the size limit.",
    )


def _values(context: CommentContext) -> dict[str, Any]:
    return {
        "title": context.title,
        "plan": context.plan,
        "counts": context.counts,
        "blocking_errors": context.blocking_errors,
        "warnings": context.warnings,
        "groups": context.groups,
        "cost": context.cost,
        "report": context.report,
        "commit": context.commit,
        "artifact_url": context.artifact_url,
        "run_url": context.run_url,
        "plan_digest": context.plan_digest,
    }


def _group(group: GroupView) -> str:
    return render_template("comment_group.md.j2", group=group)


def _fits(text: str, budget: int) -> bool:
    return utf16_length(text) <= budget


def _shrink_region(group: GroupView, region: RegionView, budget: int) -> str:
    """The group with just this Region, its action list cut to fit (at least the pointer fits)."""
    low, high = 0, len(region.actions)
    best = _group(replace(group, regions=(replace(region, actions=(), hidden=len(region.actions)),)))
    while low <= high:
        keep = (low + high) // 2
        cut = replace(region, actions=region.actions[:keep], hidden=len(region.actions) - keep)
        text = _group(replace(group, regions=(cut,)))
        if _fits(text, budget):
            best, low = text, keep + 1
        else:
            high = keep - 1
    return best


def _group_sections(group: GroupView, budget: int) -> list[str]:
    whole = _group(group)
    if _fits(whole, budget):
        return [whole]
    sections: list[str] = []
    current: list[RegionView] = []
    for region in group.regions:
        candidate = _group(replace(group, regions=(*current, region), continued=bool(sections)))
        if _fits(candidate, budget):
            current.append(region)
            continue
        if current:
            sections.append(_group(replace(group, regions=tuple(current), continued=bool(sections))))
            current = []
        alone = replace(group, regions=(region,), continued=bool(sections))
        if _fits(_group(alone), budget):
            current = [region]
        else:
            sections.append(_shrink_region(alone, region, budget))
    if current:
        sections.append(_group(replace(group, regions=tuple(current), continued=bool(sections))))
    return sections


def render_comment_parts(
    context: CommentContext,
    *,
    kind: str = "plan",
    limit: int = GITHUB_COMMENT_LIMIT,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> list[str]:
    """The comment bodies, in order; each starts with `marker(kind, i)` and is at most `limit` long."""
    if limit < MIN_COMMENT_LIMIT:
        raise ValueError(f"a comment limit under {MIN_COMMENT_LIMIT} characters cannot hold the summary")
    reserve = utf16_length(render_template("comment_footer.md.j2", **_values(context), truncated=10**6))
    budget = limit - PART_OVERHEAD - reserve
    for diagram, max_findings, max_cost in HEADER_LEVELS:
        header = _header(context, diagram=diagram, max_findings=max_findings, max_cost=max_cost)
        if _fits(header, budget // 2):
            break
    sections = [header] + [s for group in context.groups for s in _group_sections(group, budget)]
    footer = render_template("comment_footer.md.j2", **_values(context), truncated=0)
    parts: list[str] = []
    current = ""
    for index, section in enumerate(sections):
        if _fits(current + section, budget):
            current += section
            continue
        if len(parts) + 1 >= max_parts:  # no room for another part: point to the artifact instead
            dropped = len(sections) - index
            current += render_template("comment_footer.md.j2", **_values(context), truncated=dropped)
            footer = ""
            break
        if current:
            parts.append(current)
        current = section
    if footer and not _fits(current + footer, budget):
        parts.append(current)
        current = ""
    parts.append(current + footer)
    total = len(parts)
    return [
        marker(kind, number)
        + "\n"
        + (f"<sub>Part {number} of {total}</sub>\n\n" if total > 1 else "")
        + body.rstrip("\n")
        + "\n"
        for number, body in enumerate(parts, start=1)
    ]


def render_comment(context: CommentContext, *, kind: str = "plan") -> str:
    """All parts joined (for files and previews; GitHub gets `render_comment_parts`)."""
    return "\n".join(render_comment_parts(context, kind=kind, limit=10**9))
