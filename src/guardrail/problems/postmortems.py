"""Postmortems: drafted from the incident, edited as Markdown, published once it is resolved,
and required by policy (severity, or the share of an SLO budget the incident consumed).

Flushes, never commits; every write is audited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.config import get_settings
from guardrail.errors import Conflict, NotFound
from guardrail.incidents import reads as incident_reads
from guardrail.incidents import service as incidents
from guardrail.incidents.enums import IncidentStatus
from guardrail.incidents.models import Incident
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, isoformat, utcnow
from guardrail.problems import actions, draft, repository
from guardrail.problems import service as problems
from guardrail.problems.enums import PostmortemStatus
from guardrail.problems.models import Postmortem

log = logging.getLogger("guardrail.problems")


def get_postmortem(session: Session, postmortem_id: str, *, lock: bool = False) -> Postmortem:
    """A postmortem by its id, or by its incident's id."""
    row = repository.postmortem(session, postmortem_id, lock=lock)
    if row is None and postmortem_id.startswith("inc_"):
        row = repository.postmortem_of_incident(session, postmortem_id)
    if row is None:
        raise NotFound(
            f"there is no postmortem {postmortem_id!r}; draft one with "
            "`guardrail postmortem draft <incident id>`"
        )
    return row


def find_for_incident(session: Session, incident_id: str) -> Postmortem | None:
    """The incident's postmortem, if it has one."""
    return repository.postmortem_of_incident(session, incident_id)


def service_of(session: Session, postmortem: Postmortem) -> str | None:
    """The id of the service the postmortem's incident happened on."""
    return incidents.get_incident(session, postmortem.incident_id).service_id


def _view(row: Postmortem) -> dict[str, Any]:
    return {
        "incident_id": row.incident_id,
        "status": row.status,
        "version": row.version,
        "required": row.required,
        "due_at": isoformat(row.due_at),
    }


def _items(session: Session, postmortem_id: str | None) -> list[dict[str, Any]]:
    if postmortem_id is None:
        return []
    rows, _ = actions.list_items(session, postmortem=postmortem_id, limit=500)
    return [r.model_dump() for r in actions.to_out(session, rows)]


def _contributing(session: Session, incident: Any) -> list[str]:
    lines = []
    for cause in incident.causes:
        note = f": {cause.note}" if cause.note else ""
        what = _title_of(session, cause.kind, cause.ref_id)
        lines.append(f"- {cause.kind} {cause.ref_id}{what} ({cause.provenance}){note}")
    for suspect in incident.suspects[:3]:
        if not any(c.ref_id == suspect.get("id") for c in incident.causes):
            lines.append(
                f"- suspected, not confirmed: {suspect.get('kind')} {suspect.get('id')} "
                f"{suspect.get('title') or ''} at {suspect.get('at')}".rstrip()
            )
    return lines


def _title_of(session: Session, kind: str, ref_id: str) -> str:
    """`` "title"`` of a change, `` version v on env`` of a deployment ("" when gone)."""
    try:
        if kind == "change":
            from guardrail.changes import service as changes

            change = changes.get_change(session, ref_id)
            return f" {change.title!r}" if change.title else ""
        from guardrail.releases import service as releases

        dep = releases.get_deployment(session, ref_id)
        return f" {dep.version or dep.sha or ''} to {dep.environment}".rstrip()
    except NotFound:
        return ""


def render_for(session: Session, incident: Incident, postmortem: Postmortem | None) -> str:
    """A fresh draft body from everything the incident recorded."""
    detail = incident_reads.detail(session, incident)
    linked = problems.problems_of_incident(session, incident.id)
    return draft.render(
        draft.DraftInput(
            incident=detail,
            problems=[(p.id, p.title) for p in linked],
            causes=_contributing(session, detail),
            actions=_items(session, postmortem.id if postmortem else None),
            required_reason=postmortem.required_reason if postmortem else "",
        )
    )


def draft_postmortem(
    session: Session,
    actor: Actor,
    incident_id: str,
    *,
    problem: str | None = None,
    regenerate: bool = False,
) -> Postmortem:
    """The incident's postmortem, drafted from its timeline when it has none yet (or when
    ``regenerate`` asks to rewrite a draft). Drafting an unresolved incident is allowed."""
    incident = incidents.get_incident(session, incident_id)
    existing = repository.postmortem_of_incident(session, incident.id)
    if existing is not None and not regenerate:
        if problem:
            _set_problem(session, existing, problem)
        return existing
    if existing is not None and existing.status == PostmortemStatus.published:
        raise Conflict(f"postmortem {existing.id} is published; it is no longer a draft")
    row = existing or _new(session, actor, incident)
    if problem:
        _set_problem(session, row, problem)
    elif row.problem_id is None:
        linked = problems.problems_of_incident(session, incident.id)
        row.problem_id = linked[0].id if linked else None
    before = _view(row)
    row.body = render_for(session, incident, row)
    row.version += 1 if existing is not None else 0
    row.updated_at, row.updated_by = utcnow(), actor.name
    session.flush()
    action = "postmortem.regenerate" if existing is not None else "postmortem.draft"
    audit_service.record(
        session, actor, action, "postmortem", row.id, before=before, after=_view(row)
    )
    return row


def _new(session: Session, actor: Actor, incident: Incident) -> Postmortem:
    now = utcnow()
    row = Postmortem(
        incident_id=incident.id,
        title=f"Postmortem: {incident.title}"[:500],
        status=PostmortemStatus.draft.value,
        body="",
        required=False,
        required_reason="",
        version=1,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
        updated_by=actor.name,
    )
    session.add(row)
    session.flush()
    return row


def _set_problem(session: Session, row: Postmortem, problem: str) -> None:
    row.problem_id = problems.get_problem(session, problem).id


def update_body(
    session: Session,
    actor: Actor,
    postmortem_id: str,
    body: str,
    *,
    version: int | None = None,
    title: str | None = None,
) -> Postmortem:
    """Save an edited body. ``version`` (the one the editor loaded) refuses a lost update."""
    row = get_postmortem(session, postmortem_id, lock=True)
    if version is not None and version != row.version:
        raise Conflict(
            f"postmortem {row.id} was saved by {row.updated_by} since you opened it "
            f"(version {row.version}, yours {version}); reload it and apply your edits again"
        )
    before = _view(row)
    row.body = body.replace("\r\n", "\n")
    if title:
        row.title = title
    row.version += 1
    row.updated_at, row.updated_by = utcnow(), actor.name
    session.flush()
    audit_service.record(
        session, actor, "postmortem.edit", "postmortem", row.id, before=before, after=_view(row)
    )
    return row


def publish(session: Session, actor: Actor, postmortem_id: str) -> Postmortem:
    """Publish the postmortem; refused while its incident is unresolved."""
    row = get_postmortem(session, postmortem_id, lock=True)
    if row.status == PostmortemStatus.published:
        return row
    incident = incidents.get_incident(session, row.incident_id)
    if IncidentStatus(incident.status).rank < IncidentStatus.resolved.rank:
        raise Conflict(
            f"incident {incident.id} is {incident.status}: a postmortem can be drafted now but "
            f"published only once the incident is resolved (`guardrail incident resolve "
            f"{incident.id}`)"
        )
    before = _view(row)
    row.status, row.published_at, row.published_by = (
        PostmortemStatus.published.value,
        utcnow(),
        actor.name,
    )
    row.body = draft.refresh_actions(row.body, _items(session, row.id))
    row.version += 1
    row.updated_at, row.updated_by = row.published_at, actor.name
    session.flush()
    audit_service.record(
        session, actor, "postmortem.publish", "postmortem", row.id, before=before, after=_view(row)
    )
    return row


def markdown(session: Session, row: Postmortem) -> str:
    """The exported Markdown: the body with its action-items table brought up to date."""
    return draft.refresh_actions(row.body, _items(session, row.id))


def list_postmortems(
    session: Session,
    *,
    status: str | None = None,
    required: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Postmortem], int]:
    """Postmortems, newest first."""
    return repository.list_postmortems(
        session, status=status, required=required, limit=limit, offset=offset
    )


# --- required by policy --------------------------------------------------------------------------


def requirement(session: Session, incident: Incident) -> list[str]:
    """Why the incident needs a postmortem (empty: it does not). Severity from the settings;
    budget share from the settings and from the service's error-budget policy rules."""
    settings = get_settings()
    reasons = []
    severities = {s.strip().upper() for s in settings.postmortem_severities.split(",") if s.strip()}
    if incident.severity in severities:
        reasons.append(f"{incident.severity} incidents require a postmortem")
    if incident.service_id is None or incident.resolved_at is None:
        return reasons
    try:
        reasons += _budget_reasons(session, incident, settings.postmortem_budget_share)
    except Exception as exc:  # an SLO datasource that is down must not stop the rest
        log.warning("budget consumed by %s unknown: %s", incident.id, exc)
    return reasons


def _budget_reasons(session: Session, incident: Incident, share: float) -> list[str]:
    from guardrail.slo import service as slo

    assert incident.service_id and incident.resolved_at
    start, end = incident.started_at, incident.resolved_at
    reasons = [
        r["reason"] for r in slo.postmortem_required(session, incident.service_id, start, end)
    ]
    if share > 0 and not reasons:
        consumed = slo.budget_consumed(session, incident.service_id, start, end)
        for name, value in sorted(consumed.items()):
            if value is not None and value > share:
                reasons.append(
                    f"the incident consumed {value:.0%} of SLO {name}'s error budget "
                    f"(more than {share:.0%} requires a postmortem)"
                )
    return reasons


def apply_policy(
    session: Session, actor: Actor, incident_id: str, *, now: datetime | None = None
) -> Postmortem | None:
    """For a resolved incident the policy covers: a required postmortem with a due date (a draft
    is created when there is none). Idempotent; None when nothing is required."""
    incident = incidents.get_incident(session, incident_id)
    if incident.resolved_at is None:
        return None
    reasons = requirement(session, incident)
    if not reasons:
        return None
    row = draft_postmortem(session, actor, incident.id)
    if row.required:
        return row
    before = _view(row)
    days = get_settings().postmortem_due_days
    row.required, row.required_reason = True, "; ".join(reasons)[:500]
    row.due_at = as_utc(incident.resolved_at) + timedelta(days=days)
    if row.status == PostmortemStatus.draft and row.version == 1:
        row.body = render_for(session, incident, row)
    session.flush()
    audit_service.record(
        session, actor, "postmortem.require", "postmortem", row.id, before=before, after=_view(row)
    )
    incidents.add_timeline_entry(
        session,
        actor,
        incident.id,
        "postmortem",
        f"postmortem {row.id} required, due {isoformat(row.due_at)}: {row.required_reason}",
        {"postmortem_id": row.id},
        at=now,
    )
    return row
