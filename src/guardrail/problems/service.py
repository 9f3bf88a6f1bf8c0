"""Problem rules: open from incidents or proactively, known error, resolved; links; search.

Status runs open -> known_error -> resolved, and back to open when the cause was wrong or the
problem recurs (enums.PROBLEM_TRANSITIONS). Flushes, never commits; every write is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import Conflict, InvalidInput, NotFound
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.problems import repository, search
from guardrail.problems.enums import PROBLEM_TRANSITIONS, LinkKind, ProblemStatus
from guardrail.problems.models import Problem, ProblemLink
from guardrail.problems.schemas import (
    LinkOut,
    ProblemCreate,
    ProblemDetail,
    ProblemOut,
    ProblemUpdate,
    SearchHit,
)

KNOWN = [ProblemStatus.known_error.value, ProblemStatus.resolved.value]


def get_problem(session: Session, problem_id: str, *, lock: bool = False) -> Problem:
    """One problem by id."""
    row = repository.problem(session, problem_id, lock=lock)
    if row is None:
        raise NotFound(
            f"there is no problem {problem_id!r}; list them with `guardrail problem list`"
        )
    return row


def _view(row: Problem) -> dict[str, Any]:
    return {
        "title": row.title,
        "status": row.status,
        "root_cause": row.root_cause[:500],
        "workaround": row.workaround[:500],
    }


def create_problem(session: Session, actor: Actor, data: ProblemCreate) -> Problem:
    """Open a problem, linked to the incidents it explains and their services."""
    now = utcnow()
    problem = Problem(
        title=data.title,
        description=data.description,
        root_cause=data.root_cause,
        workaround=data.workaround,
        status=ProblemStatus.open.value,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
    )
    session.add(problem)
    session.flush()
    audit_service.record(
        session, actor, "problem.open", "problem", problem.id, after=_view(problem)
    )
    for ref in data.incidents:
        add_link(session, actor, problem.id, ref)
    for ref in data.services:
        add_link(session, actor, problem.id, ref, kind=LinkKind.service)
    return problem


def update_problem(session: Session, actor: Actor, problem_id: str, data: ProblemUpdate) -> Problem:
    """Edit the title, description, root cause or workaround."""
    problem = get_problem(session, problem_id, lock=True)
    before = _view(problem)
    for field, value in data.model_dump(exclude_none=True).items():
        setattr(problem, field, value)
    problem.updated_at = utcnow()
    session.flush()
    audit_service.record(
        session, actor, "problem.update", "problem", problem.id, before=before, after=_view(problem)
    )
    return problem


def transition(
    session: Session, actor: Actor, problem_id: str, target: ProblemStatus, note: str = ""
) -> Problem:
    """Move the problem to ``target`` if its lifecycle allows it; audit the move."""
    problem = get_problem(session, problem_id, lock=True)
    current = ProblemStatus(problem.status)
    if target is current:
        return problem
    if target not in PROBLEM_TRANSITIONS[current]:
        allowed = ", ".join(sorted(PROBLEM_TRANSITIONS[current]))
        raise Conflict(f"problem {problem.id} is {current}; it can move to {allowed}, not {target}")
    if target is ProblemStatus.known_error and not (problem.root_cause or problem.workaround):
        raise InvalidInput(
            f"a known error records its root cause or workaround; set one first "
            f"(`guardrail problem update {problem.id} --root-cause …`)"
        )
    before, now = _view(problem), utcnow()
    problem.status, problem.updated_at = target.value, now
    if target is ProblemStatus.known_error:
        problem.known_error_at = now
    problem.resolved_at = now if target is ProblemStatus.resolved else None
    session.flush()
    after = {**_view(problem), "note": note} if note else _view(problem)
    audit_service.record(
        session, actor, f"problem.{target.value}", "problem", problem.id, before=before, after=after
    )
    return problem


# --- links ---------------------------------------------------------------------------------------


def _resolve_ref(session: Session, ref: str, kind: LinkKind | None) -> tuple[LinkKind, str, str]:
    """(kind, id, label) of an incident id, a change id, or a service name or id."""
    if kind is None:
        kind = {"inc_": LinkKind.incident, "chg_": LinkKind.change}.get(ref[:4], LinkKind.service)
    if kind is LinkKind.incident:
        from guardrail.incidents import service as incidents

        incident = incidents.get_incident(session, ref)
        return kind, incident.id, incident.title
    if kind is LinkKind.change:
        from guardrail.changes import service as changes

        change = changes.get_change(session, ref)
        return kind, change.id, change.title or change.id
    service = cmdb.get_service(session, ref)
    return kind, service.id, service.name


def add_link(
    session: Session,
    actor: Actor,
    problem_id: str,
    ref: str,
    *,
    kind: LinkKind | None = None,
) -> ProblemLink:
    """Link an incident (and so its service), a service, or a change that fixes the problem.
    Linking the same thing twice changes nothing."""
    problem = get_problem(session, problem_id)
    kind, ref_id, _ = _resolve_ref(session, ref, kind)
    existing = repository.link(session, problem.id, kind.value, ref_id)
    if existing is not None:
        return existing
    row = ProblemLink(problem_id=problem.id, kind=kind.value, ref_id=ref_id, created_by=actor.name)
    session.add(row)
    problem.updated_at = utcnow()
    session.flush()
    audit_service.record(
        session, actor, f"problem.link_{kind.value}", "problem", problem.id, after={"ref": ref_id}
    )
    if kind is LinkKind.incident:
        _incident_linked(session, actor, problem, ref_id)
    return row


def _incident_linked(session: Session, actor: Actor, problem: Problem, incident_id: str) -> None:
    from guardrail.incidents import service as incidents

    incident = incidents.get_incident(session, incident_id)
    incidents.add_timeline_entry(
        session,
        actor,
        incident.id,
        "problem",
        f"linked to problem {problem.id}: {problem.title}",
        {"problem_id": problem.id},
    )
    if incident.service_id:
        add_link(session, actor, problem.id, incident.service_id, kind=LinkKind.service)


def remove_link(session: Session, actor: Actor, problem_id: str, ref: str) -> None:
    """Unlink an incident, service or change."""
    problem = get_problem(session, problem_id)
    kind, ref_id, _ = _resolve_ref(session, ref, None)
    row = repository.link(session, problem.id, kind.value, ref_id)
    if row is None:
        raise NotFound(f"problem {problem.id} is not linked to {ref!r}")
    session.delete(row)
    session.flush()
    audit_service.record(
        session,
        actor,
        f"problem.unlink_{kind.value}",
        "problem",
        problem.id,
        before={"ref": ref_id},
    )


def link_out(session: Session, rows: list[ProblemLink]) -> list[LinkOut]:
    """Links with a label a person recognises (service name, incident or change title)."""
    out = []
    for row in rows:
        try:
            label = _resolve_ref(session, row.ref_id, LinkKind(row.kind))[2]
        except NotFound:
            label = "(deleted)"
        out.append(LinkOut.model_validate(row).model_copy(update={"label": label}))
    return out


# --- reading -------------------------------------------------------------------------------------


def list_problems(
    session: Session,
    *,
    statuses: list[str] | None = None,
    service: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Problem], int]:
    """Problems, most recently updated first, by status and service."""
    service_id = cmdb.get_service(session, service).id if service else None
    return repository.list_problems(
        session, statuses=statuses, service_id=service_id, limit=limit, offset=offset
    )


def detail(session: Session, problem: Problem) -> ProblemDetail:
    """A problem with its links, action items and postmortems."""
    from guardrail.problems import actions

    items, _ = actions.list_items(session, problem=problem.id, limit=500)
    return ProblemDetail(
        **ProblemOut.model_validate(problem).model_dump(),
        links=link_out(session, repository.links(session, problem.id)),
        action_items=actions.to_out(session, items),
        postmortems=[p.id for p in repository.postmortems_of_problem(session, problem.id)],
    )


def search_problems(
    session: Session,
    query: str,
    *,
    statuses: list[str] | None = None,
    match_any: bool = False,
    limit: int = 20,
) -> list[SearchHit]:
    """Problems matching ``query`` by text, best first (the known-error database)."""
    hits = search.search(session, query, match_any=match_any, statuses=statuses, limit=limit)
    rows = {p.id: p for p in repository.problems_by_ids(session, [h.problem_id for h in hits])}
    return [
        SearchHit(
            id=h.problem_id,
            title=rows[h.problem_id].title,
            status=rows[h.problem_id].status,
            workaround=rows[h.problem_id].workaround,
            root_cause=rows[h.problem_id].root_cause,
            rank=round(h.rank, 6),
        )
        for h in hits
        if h.problem_id in rows
    ]


def seen_before(
    session: Session, title: str, service_name: str | None, *, exclude: set[str] | None = None
) -> list[SearchHit]:
    """Known errors (and resolved problems) whose text matches an incident's title and service."""
    query = f"{title} {service_name or ''}"
    hits = search_problems(session, query, statuses=KNOWN, match_any=True, limit=8)
    return [h for h in hits if h.id not in (exclude or set())][:5]


def problems_of_incident(session: Session, incident_id: str) -> list[Problem]:
    """The problems an incident is linked to."""
    return repository.problems_linked_to(session, LinkKind.incident.value, incident_id)
