"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from guardrail import __version__
from guardrail.api.deps import get_db
from guardrail.api.problems import problem
from guardrail.store import migrate
from guardrail.store.session import Database

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Answers while the process runs; touches nothing else."""
    return {"status": "ok", "version": __version__}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its migrations are current",
    responses={503: {"description": "Not ready; the problem says why"}},
)
def readyz(request: Request, db: Database = Depends(get_db)) -> JSONResponse:
    """Ready when the database answers and is at the newest migration."""
    try:
        with db.reader() as session:
            session.execute(text("SELECT 1"))
        current, head = migrate.current_revision(db.engine), migrate.head_revision(db.engine)
    except Exception as exc:
        return problem(request, 503, f"the database does not answer: {type(exc).__name__}: {exc}")
    if current != head:
        return problem(
            request,
            503,
            f"the database is at migration {current}, not {head}; run `guardrail db upgrade`",
        )
    return JSONResponse(
        {"status": "ready", "database": db.engine.dialect.name, "migration": current}
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Metrics in the Prometheus text exposition format."""
    body = generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
