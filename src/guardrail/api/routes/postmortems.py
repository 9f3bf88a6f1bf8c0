"""Postmortems over HTTP: draft from an incident, read, edit, publish, export as Markdown."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.problems import postmortems
from guardrail.problems.enums import PostmortemStatus
from guardrail.problems.schemas import PostmortemDraftIn, PostmortemOut, PostmortemUpdate
from guardrail.store.session import Database

router = APIRouter(prefix="/postmortems", tags=["postmortems"])


@router.get("", summary="List postmortems")
def list_postmortems(
    status_: PostmortemStatus | None = Query(None, alias="status"),
    required: bool | None = None,
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[PostmortemOut]:
    """Postmortems, newest first; filter by status and whether policy requires them."""
    with db.reader() as session:
        rows, total = postmortems.list_postmortems(
            session,
            status=status_.value if status_ else None,
            required=required,
            limit=limit,
            offset=offset,
        )
        items = [PostmortemOut.model_validate(r) for r in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/incidents/{incident_id}", summary="Draft an incident's postmortem")
def draft(
    incident_id: str,
    data: PostmortemDraftIn | None = None,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> PostmortemOut:
    """The incident's postmortem, drafted from its timeline when it has none (the existing one
    otherwise; ``regenerate`` rewrites a draft). Works before the incident is resolved."""
    data = data or PostmortemDraftIn()
    with db.unit_of_work() as session:
        row = postmortems.draft_postmortem(
            session, actor, incident_id, problem=data.problem, regenerate=data.regenerate
        )
        return PostmortemOut.model_validate(row)


@router.get("/{postmortem_id}", summary="Get a postmortem")
def get_postmortem(
    postmortem_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> PostmortemOut:
    """One postmortem, by its id or its incident's id."""
    with db.reader() as session:
        return PostmortemOut.model_validate(postmortems.get_postmortem(session, postmortem_id))


@router.get(
    "/{postmortem_id}/postmortem.md",
    summary="Export a postmortem as Markdown",
    response_class=PlainTextResponse,
)
def export_markdown(
    postmortem_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> PlainTextResponse:
    """The Markdown, with its action-items table brought up to date."""
    with db.reader() as session:
        row = postmortems.get_postmortem(session, postmortem_id)
        text = postmortems.markdown(session, row)
    return PlainTextResponse(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{row.id}.md"'},
    )


@router.put("/{postmortem_id}", summary="Save an edited postmortem")
def update(
    postmortem_id: str,
    data: PostmortemUpdate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> PostmortemOut:
    """Save the body; with ``version``, an edit made meanwhile by someone else is refused (409)."""
    with db.unit_of_work() as session:
        row = postmortems.update_body(
            session, actor, postmortem_id, data.body, version=data.version, title=data.title
        )
        return PostmortemOut.model_validate(row)


@router.post("/{postmortem_id}/publish", summary="Publish a postmortem")
def publish(
    postmortem_id: str,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> PostmortemOut:
    """Publish; refused (409) while the incident is not resolved."""
    with db.unit_of_work() as session:
        return PostmortemOut.model_validate(postmortems.publish(session, actor, postmortem_id))
