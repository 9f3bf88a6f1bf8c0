"""The blameless postmortem draft, written as Markdown from what the incident recorded.

Pure apart from the reads its caller hands in: the incident's detail (timeline, alerts, causes,
suspects, rollbacks, SLO budget consumed), the problems it is linked to and its action items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guardrail.incidents.schemas import IncidentDetail
from guardrail.kit.time import as_utc, isoformat

ACTIONS_START = "<!-- action-items: generated, refreshed on export -->"
ACTIONS_END = "<!-- /action-items -->"
TO_FILL = "_To fill in together: facts and systems, not people._"


@dataclass
class DraftInput:
    incident: IncidentDetail
    problems: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    causes: list[str] = field(default_factory=list)  # one line per contributing change
    actions: list[dict[str, Any]] = field(default_factory=list)
    required_reason: str = ""


def day(value: datetime | None) -> str:
    """``2026-05-01`` (UTC), or "" without a date."""
    return (isoformat(value) or "")[:10]


def stamp(value: datetime | None) -> str:
    """``2026-05-01 14:03:07`` (UTC, to the second), or "—"."""
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def duration(start: datetime, end: datetime | None) -> str:
    """``2h 05m`` between two instants (``ongoing`` without an end)."""
    if end is None:
        return "ongoing"
    seconds = max(0, int((as_utc(end) - as_utc(start)).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h {minutes:02d}m"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds % 60:02d}s"


def render(data: DraftInput) -> str:
    """The whole draft."""
    sections = [
        _header(data),
        _summary(data),
        _impact(data.incident),
        _timeline(data.incident),
        "## Contributing changes and deployments\n\n"
        + ("\n".join(data.causes) if data.causes else "_None recorded on the incident._"),
        f"## What went well\n\n{TO_FILL}",
        f"## What went badly\n\n{TO_FILL}",
        f"## Where we got lucky\n\n{TO_FILL}",
        "## Action items\n\n" + actions_block(data.actions),
    ]
    return "\n\n".join(sections) + "\n"


def _header(data: DraftInput) -> str:
    i = data.incident
    lines = [
        f"# Postmortem: {i.title}",
        "",
        f"*Incident {i.id} · {i.severity} · {i.service or 'no service'} · status {i.status}*",
        "",
        "> Blameless: this review looks for what in our systems and processes let this happen, "
        "not for whom to blame.",
    ]
    if data.required_reason:
        lines += ["", f"Required by policy: {data.required_reason}."]
    return "\n".join(lines)


def _summary(data: DraftInput) -> str:
    i = data.incident
    where = f" on **{i.service}**" if i.service else ""
    text = (
        f"A {i.severity} incident{where} started {stamp(i.started_at)} UTC and "
        + (f"was resolved {stamp(i.resolved_at)} UTC" if i.resolved_at else "is not resolved yet")
        + f" ({i.alert_count} alert(s))."
    )
    parts = ["## Summary", "", text]
    if i.description:
        parts += ["", i.description]
    for problem_id, title in data.problems:
        parts += ["", f"Problem record: {problem_id} — {title}"]
    return "\n".join(parts)


def _impact(i: IncidentDetail) -> str:
    rows = [
        f"- Duration: {duration(i.started_at, i.resolved_at)} "
        f"(started {stamp(i.started_at)}, resolved {stamp(i.resolved_at)})",
        f"- Time to acknowledge: {duration(i.opened_at, i.acknowledged_at)}",
        f"- Time to mitigate: {duration(i.started_at, i.mitigated_at or i.resolved_at)}",
    ]
    if i.budget_consumed:
        for slo, share in sorted(i.budget_consumed.items()):
            figure = "unknown (no SLI data)" if share is None else f"{share:.1%}"
            rows.append(f"- SLO {slo}: {figure} of its error budget consumed during the incident")
    else:
        rows.append("- SLO budget: the service has no SLO with data for this window")
    return "## Impact\n\n" + "\n".join(rows)


def _timeline(i: IncidentDetail) -> str:
    lines = ["## Timeline (UTC)", "", "| time | kind | what happened | by |", "|---|---|---|---|"]
    for entry in sorted(i.timeline, key=lambda e: (as_utc(e.at), e.id)):
        what = entry.text.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {stamp(entry.at)} | {entry.kind} | {what} | {entry.actor} |")
    if len(lines) == 4:
        lines.append("| | | nothing recorded | |")
    return "\n".join(lines)


def actions_block(actions: list[dict[str, Any]]) -> str:
    """The generated action-items table between its markers."""
    lines = [ACTIONS_START]
    if actions:
        lines += ["| id | priority | owner | due | status | title |", "|---|---|---|---|---|---|"]
        for a in actions:
            due = day(a.get("due_at")) or "—"
            title = str(a["title"]).replace("|", "\\|")
            lines.append(
                f"| {a['id']} | {a['priority']} | {a['owner'] or '—'} | {due} | {a['status']} "
                f"| {title} |"
            )
    else:
        lines.append("_No action items yet: add them with `guardrail action-item create`._")
    lines.append(ACTIONS_END)
    return "\n".join(lines)


def refresh_actions(body: str, actions: list[dict[str, Any]]) -> str:
    """The body with its generated action-items block replaced by the current items (appended
    under its own heading when an editor removed the markers)."""
    start, end = body.find(ACTIONS_START), body.find(ACTIONS_END)
    block = actions_block(actions)
    if start == -1 or end == -1 or end < start:
        return body.rstrip("\n") + "\n\n## Action items\n\n" + block + "\n"
    return body[:start] + block + body[end + len(ACTIONS_END) :]
