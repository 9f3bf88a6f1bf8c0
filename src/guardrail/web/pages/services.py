"""The service catalogue: the filtered list, and one service with its recent audit events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from markupsafe import Markup
from pydantic import ValidationError

from guardrail.api.problems import validation_errors
from guardrail.audit import service as audit_service
from guardrail.audit.models import AuditEvent
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import Lifecycle
from guardrail.cmdb.schemas import ServiceFilter
from guardrail.errors import InvalidInput, NotFound
from guardrail.identity import service as identity_service
from guardrail.kit.context import Actor
from guardrail.store.session import Database
from guardrail.web.graph import render_svg
from guardrail.web.pages.service_activity import activity
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()

PAGE_SIZE = 25
RECENT_EVENTS = 20


@router.get("/services")
def service_list(
    request: Request,
    team: str | None = None,
    tier: str | None = None,
    lifecycle: str | None = None,
    q: str | None = None,
    page: int = Query(1, ge=1, le=100_000),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Services, filtered by team, tier, lifecycle and a text search, one page at a time."""
    raw = {"team": team, "tier": tier, "lifecycle": lifecycle, "q": q}
    filters = _filters(raw)
    db: Database = request.app.state.db
    with db.reader() as session:
        rows, total = cmdb.list_services(
            session, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        services = cmdb.to_out(session, rows)
        teams = [identity_service.team_out(t) for t in identity_service.list_teams(session)]
    context = {
        "services": services,
        "total": total,
        "teams": teams,
        "lifecycles": list(Lifecycle),
        "selected": {k: (v or "").strip() for k, v in raw.items()},
        "pager": Pager.make(raw, page, total),
        "filtered": any(v for v in raw.values()),
    }
    return render(request, "services/list.html", context)


@router.get("/services/{name}")
def service_detail(request: Request, name: str, _: Actor = Depends(signed_in())) -> Response:
    """One service: its fields, its dependency graph and its recent audit events."""
    db: Database = request.app.state.db
    with db.reader() as session:
        service = cmdb.find_service(session, name)
        if service is None:
            raise NotFound(f"there is no service named {name!r} in the catalogue")
        out = cmdb.to_out(session, [service])[0]
        events, event_total = audit_service.list_events(
            session, object_id=service.id, action=None, limit=RECENT_EVENTS, offset=0
        )
        team_slugs = {t.id: t.slug for t in identity_service.list_teams(session)}
        views = [EventView.make(e, team_slugs) for e in events]
        graph = cmdb.service_graph(session, service.id)
    context = {
        "service": out,
        "event_total": event_total,
        "events": views,
        "graph": graph,
        "graph_svg": Markup(render_svg(graph)),  # built from escaped parts by web.graph
    }
    with db.reader() as session:
        context.update(activity(session, service))
    return render(request, "services/detail.html", context)


def _filters(raw: dict[str, str | None]) -> ServiceFilter:
    """The list filters from the query; an empty form field means "any"."""
    values = {k: v.strip() for k, v in raw.items() if v and v.strip()}
    try:
        return ServiceFilter.model_validate(values)
    except ValidationError as exc:
        errors = validation_errors([dict(e) for e in exc.errors()])
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise InvalidInput(f"the filter is invalid: {detail}") from exc


@dataclass(frozen=True)
class Pager:
    """Where one page sits in the list, with links that keep the filters."""

    page: int
    pages: int
    first: int
    last: int
    total: int
    prev_url: str | None
    next_url: str | None

    @classmethod
    def make(cls, raw: dict[str, str | None], page: int, total: int) -> Pager:
        pages = max(1, -(-total // PAGE_SIZE))
        first = (page - 1) * PAGE_SIZE + 1
        kept = {k: v.strip() for k, v in raw.items() if v and v.strip()}

        def url(number: int) -> str:
            query = urlencode({**kept, "page": number} if number > 1 else kept)
            return f"/services?{query}" if query else "/services"

        return cls(
            page=page,
            pages=pages,
            first=first,
            last=min(total, page * PAGE_SIZE),
            total=total,
            prev_url=url(min(page - 1, pages)) if page > 1 else None,
            next_url=url(page + 1) if page < pages else None,
        )


@dataclass(frozen=True)
class EventView:
    """An audit event as the service page shows it: who did what, and which fields changed."""

    at: Any
    actor: str
    actor_role: str
    action: str
    event_id: str
    changes: list[tuple[str, str, str]]

    @classmethod
    def make(cls, event: AuditEvent, team_slugs: dict[str, str]) -> EventView:
        before, after = event.before or {}, event.after or {}
        changes = []
        for key in sorted({*before, *after}):
            old, new = before.get(key), after.get(key)
            if old != new and (old or new):
                label, show = _field(key, team_slugs)
                changes.append((label, show(old), show(new)))
        return cls(
            at=event.at,
            actor=event.actor,
            actor_role=event.actor_role,
            action=event.action,
            event_id=event.id,
            changes=changes,
        )


def _field(key: str, team_slugs: dict[str, str]) -> tuple[str, Any]:
    """A field's label and how to show its values (owner team ids as slugs)."""
    if key == "owner_team_id":
        return "owner team", lambda v: _text(team_slugs.get(v, v) if v else v)
    return key.replace("_", " "), _text


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
