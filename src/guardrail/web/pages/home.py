"""The home page: the scoreboard — DORA and ITIL tiles with level, trend and sparkline —
filtered by team, service, environment and period, and the services' DORA figures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from pydantic import ValidationError

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceFilter
from guardrail.errors import InvalidInput
from guardrail.identity import service as identity_service
from guardrail.kit.context import Actor
from guardrail.metrics import display
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import Metric, ScopeIn
from guardrail.store.session import Database
from guardrail.web.charts import sparkline
from guardrail.web.render import render, warm_templates
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()
log = logging.getLogger("guardrail.web")

TIERS = (1, 2, 3, 4)
PERIODS = ("7d", "30d", "90d")
ENVIRONMENTS = ("production", "staging")


@router.get("/")
def home(
    request: Request,
    team: str | None = None,
    service: str | None = None,
    env: str = "production",
    since: str = "30d",
    _: Actor = Depends(signed_in()),
) -> Response:
    """The scoreboard for the chosen scope, and the catalogue by tier."""
    started = time.perf_counter()
    scope = _scope(team, service, env, since)
    db: Database = request.app.state.db
    with db.reader() as session:
        board = metrics.scoreboard(session, scope)
        rows = metrics.by_service(session, scope) if not scope.service else []
        services = cmdb.to_out(
            session, cmdb.list_services(session, ServiceFilter(), limit=500, offset=0)[0]
        )
        teams = [identity_service.team_out(t) for t in identity_service.list_teams(session)]
    context = {
        "board": board,
        "tiles": {"dora": [_tile(m) for m in board.dora], "itil": [_tile(m) for m in board.itil]},
        "rows": rows,
        "services": services,
        "teams": teams,
        "periods": PERIODS,
        "environments": sorted({*ENVIRONMENTS, scope.environment}),
        "selected": {"team": scope.team or "", "service": scope.service or "", "env": env},
        "since": scope.since,
        "by_tier": {t: sum(1 for s in services if s.tier == t) for t in TIERS},
        "fmt": display.figure,
    }
    response = render(request, "home.html", context)
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f'app;desc="scoreboard";dur={elapsed:.1f}'
    return response


@asynccontextmanager
async def warm_up(app: FastAPI) -> AsyncIterator[None]:
    """At startup, so the first visitor does not pay for set-up: one service's board is computed
    (not cached) before serving, which sets up the statements and mappers every board uses (a
    few indexed reads, done before any request so it never holds locks beside other work); the
    OpenAPI document and the templates are built in the background (about 2 s, no database)."""
    db: Database | None = getattr(app.state, "db", None)
    if db is not None:
        _warm_board(db)
    threading.Thread(target=_warm_rest, args=(app,), name="guardrail-warm", daemon=True).start()
    yield


def _warm_board(db: Database) -> None:
    started = time.perf_counter()
    try:
        built = metrics.warm(db)
    except Exception:  # warming is an optimisation; a failure must not stop the server
        log.debug("warming the scoreboard failed", exc_info=True)
        return
    elapsed = (time.perf_counter() - started) * 1000
    log.debug("warmed %d board in %.0f ms", built, elapsed)


def _warm_rest(app: FastAPI) -> None:
    started = time.perf_counter()
    try:
        # The request middleware names each request by its route template, read from the
        # OpenAPI schema, which FastAPI builds on first use: about 1.5 s for the first request.
        app.openapi()
        templates = warm_templates()
    except Exception:  # as above
        log.debug("warming the pages failed", exc_info=True)
        return
    elapsed = (time.perf_counter() - started) * 1000
    log.debug("warmed the OpenAPI document and %d templates in %.0f ms", templates, elapsed)


router.lifespan_context = warm_up


def _scope(team: str | None, service: str | None, env: str, since: str) -> ScopeIn:
    try:
        return ScopeIn(
            team=(team or "").strip() or None,
            service=(service or "").strip() or None,
            environment=env.strip() or "production",
            since=since,
        )
    except ValidationError as exc:
        raise InvalidInput(
            "the filter is invalid: choose a period such as 30d, and names up to 63 characters"
        ) from exc


_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def _tile(metric: Metric) -> dict[str, object]:
    """What a tile shows, with words for the arrow and the level."""
    arrow = _ARROWS.get(metric.trend or "", "")
    if metric.trend is None:
        trend_text = "no earlier period to compare with"
    elif metric.trend == "flat":
        trend_text = f"about the same as before ({metric.previous_display})"
    else:
        verdict = "better" if metric.improving else "worse"
        trend_text = f"{metric.trend} from {metric.previous_display}, {verdict}"
    label = f"{metric.label} over time, one point per period bucket"
    return {
        "metric": metric,
        "arrow": arrow,
        "trend_text": trend_text,
        "trend_class": "flat"
        if metric.trend in (None, "flat")
        else ("good" if metric.improving else "bad"),
        "spark": sparkline(metric.series, label) if metric.tracked else "",
        "detail": detail_text(metric),
    }


def detail_text(m: Metric) -> str:
    """One line under the value: what it was computed from."""
    d = m.detail
    texts = {
        "deployment_frequency": lambda: (
            f"{d['deployments']} deployments · "
            f"{d['deployment_days_per_week']:.1f} deployment days / week"
        ),
        "lead_time": lambda: f"p90 {display.duration(d['p90'])} · {d['commits']} commits",
        "change_failure_rate": lambda: f"{d['failed']} of {d['deployments']} deployments",
        "recovery_time": lambda: f"median of {d['incidents']} change-caused incidents",
        "rework_rate": lambda: f"{d['rework']} of {d['deployments']} deployments",
        "change_success_rate": lambda: f"{d['completed']} of {d['closed']} closed changes",
        "emergency_share": lambda: (
            f"standard {d['standard']} · normal {d['normal']} · emergency {d['emergency']}"
        ),
        "automated_share": lambda: f"{d['automated']} of {d['decided']} decided changes",
        "approval_lead_time": lambda: f"median of {d['changes']} reviewed changes",
        "mttd": lambda: f"mean of {d['incidents']} incidents",
        "mtta": lambda: f"mean of {d['incidents']} incidents",
        "mttr": lambda: f"mean of {d['incidents']} incidents",
        "incidents": lambda: " · ".join(f"{k} {v}" for k, v in d.items()),
        "escalations": lambda: f"of {d['incidents']} incidents",
        "slo_attainment": lambda: f"{d['met']} of {d['measured']} SLOs met",
        "availability": lambda: f"{d['events']:,} events",
    }
    make = texts.get(m.key)
    return make() if make and m.tracked else m.note
