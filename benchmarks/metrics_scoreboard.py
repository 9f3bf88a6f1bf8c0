"""Scoreboard queries over a large history on PostgreSQL, and server time per page on the demo.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/metrics_scoreboard.py [--scale 1.0] [--services 200]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--skip-history]
        [--skip-pages] [--keep-db | --reuse-db NAME] [--demo-url sqlite:///…]

History (``--scale 1`` = the issue's size): 1,000,000 deployments (production and staging,
over two years, 3 % failed), exactly 5,000,000 commits spread over the successful ones, each
delivered by one (5,000,000 ``deployment_commits`` rows), 100,000 incidents (one in three
caused by a deployment, with a cause link), spread over ``--services`` services in 10 teams.
Rows are written with COPY into a freshly migrated database (the delivered-commit rows are
spooled to a temporary file while the commits stream, then copied: nothing big stays in
memory). Then, uncached (the 60-second cache cleared before each): the scoreboard's reads one
by one, the lead-time read as it was before the period filter moved into the query (same rows,
checked), and whole scoreboards for the organisation, a team and a service over 30 and 90 days.
``--keep-db`` keeps the database for ``--reuse-db NAME`` runs that time the reads again.

Pages: the 90-day demo seeded into a SQLite file (``--demo-url`` reuses one), with a release
named for the release page; then each main page's first request and a second one, in two fresh
processes: one whose first request finds nothing warm, one that lets the app's startup warm-up
finish first (as a server that started a moment before a visitor), with the ``Server-Timing``
the home page reports and the wall time in the client.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from guardrail.kit.context import Actor
from guardrail.metrics import facts as facts_module
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.store import migrate
from guardrail.store.engine import make_engine
from guardrail.store.session import Database

NOW = datetime.now(UTC).replace(microsecond=0)
SPAN_DAYS = 730
BATCH = 50_000


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:26]}"


def copy(db: Database, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY rows into ``table``; return how many."""
    raw = db.engine.raw_connection()
    count = 0
    try:
        with (
            raw.cursor() as cur,
            cur.copy(  # type: ignore[attr-defined]
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as stream,
        ):
            for row in rows:
                stream.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def copy_text(db: Database, table: str, columns: list[str], source: Any) -> int:
    """COPY tab-separated lines from an open text file into ``table``; return how many."""
    raw = db.engine.raw_connection()
    count = 0
    try:
        with (
            raw.cursor() as cur,
            cur.copy(  # type: ignore[attr-defined]
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as stream,
        ):
            while chunk := source.read(1 << 20):
                stream.write(chunk)
                count += chunk.count("\n")
        raw.commit()
    finally:
        raw.close()
    return count


def services(db: Database, n: int) -> list[tuple[str, str]]:
    """``n`` services in 10 teams, through the catalogue's own functions; (id, name) each."""
    from guardrail.cmdb import service as cmdb
    from guardrail.cmdb.schemas import ServiceCreate
    from guardrail.identity import service as identity
    from guardrail.identity.schemas import TeamCreate

    actor = Actor.system("bench")
    out = []
    with db.unit_of_work() as session:
        for t in range(10):
            identity.create_team(session, actor, TeamCreate(slug=f"team-{t}", name=f"Team {t}"))
        for i in range(n):
            row = cmdb.create_service(
                session, actor, ServiceCreate(name=f"svc-{i}", owner_team=f"team-{i % 10}")
            )
            out.append((row.id, row.name))
    return out


def load(db: Database, svc: list[tuple[str, str]], scale: float) -> dict[str, Any]:
    rng = random.Random(1)
    n_deps, n_commits, n_incidents = int(1e6 * scale), int(5e6 * scale), int(1e5 * scale)
    per_dep = round(n_commits / (n_deps * 0.97))  # the expected share per successful one
    deps: list[tuple[str, str, datetime, str]] = []  # id, service, at, status (success prod)
    dep_cols = [
        "id", "key", "source", "service", "service_id", "environment", "repository", "version",
        "sha", "ref", "status", "strategy", "deployed_at", "started_at", "finished_at",
        "attribution", "commit_count", "created_at", "updated_at",
    ]  # fmt: skip

    def dep_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n_deps):
            sid, name = svc[i % len(svc)]
            at = NOW - timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
            env = "production" if i % 3 else "staging"
            status = "failed" if rng.random() < 0.03 else "success"
            dep_id = new_id("dep")
            if status == "success":
                deps.append((dep_id, name, at, env))
            yield (
                dep_id, f"bench:{i}", "api", name, sid, env, "", f"1.{i}", f"{i:040x}", "",
                status, "rolling", at, at, at, "complete", per_dep, at, at,
            )  # fmt: skip

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    figures["deployments"] = copy(db, "deployments", dep_cols, dep_rows())
    commit_cols = [
        "id", "sha", "repository", "branch", "message", "author_name", "author_email",
        "authored_at", "committed_at", "first_seen_at",
    ]  # fmt: skip
    # Exactly n_commits, spread over the successful deployments. The delivered-commit rows go
    # to a temporary file as the commits stream out (5 million pairs of ids would take about a
    # gigabyte in memory), then follow in a second COPY once the commits are committed.
    base, extra = divmod(n_commits, max(1, len(deps)))
    with tempfile.TemporaryFile("w+", encoding="ascii") as spool:

        def commit_rows() -> Iterator[tuple[Any, ...]]:
            k = 0
            for n, (dep_id, _, at, _) in enumerate(deps):
                for _ in range(base + (1 if n < extra else 0)):
                    cid = new_id("cmt")
                    spool.write(f"{dep_id}\t{cid}\n")
                    committed = at - timedelta(seconds=rng.expovariate(1 / 86400))
                    yield (cid, f"{k:040x}", "r", "main", "m", "a", "a@x", committed,
                           committed, at)  # fmt: skip
                    k += 1

        figures["commits"] = copy(db, "commits", commit_cols, commit_rows())
        spool.seek(0)
        figures["deployment_commits"] = copy_text(
            db, "deployment_commits", ["deployment_id", "commit_id"], spool
        )
    figures.update(_incidents(db, svc, deps, n_incidents, rng))
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    figures["load_s"] = round(time.perf_counter() - started, 1)
    return figures


def _incidents(
    db: Database, svc: list[tuple[str, str]], deps: list[Any], n: int, rng: random.Random
) -> dict[str, int]:
    by_name = {name: sid for sid, name in svc}
    cols = [
        "id", "title", "status", "severity", "service_id", "group_key", "source", "description",
        "roles", "suspects", "opened_at", "started_at", "acknowledged_at", "resolved_at",
        "alert_count", "created_by", "updated_at",
    ]  # fmt: skip
    causes: list[tuple[Any, ...]] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            dep = deps[rng.randrange(len(deps))]
            start = dep[2] + timedelta(minutes=rng.uniform(5, 120))
            opened = start + timedelta(minutes=rng.uniform(1, 10))
            inc = new_id("inc")
            if i % 3 == 0:
                causes.append(
                    (new_id("dil"), dep[0], inc, "cause", "explicit", "", opened, "bench")
                )
            yield (
                inc, "bench incident", "resolved", rng.choice(("SEV1", "SEV2", "SEV3", "SEV4")),
                by_name[dep[1]], "", "bench", "", "{}", "[]", opened, start,
                opened + timedelta(minutes=rng.uniform(1, 30)),
                opened + timedelta(minutes=rng.uniform(30, 600)), 1, "bench", opened,
            )  # fmt: skip

    out = {"incidents": copy(db, "incidents", cols, rows())}
    link_cols = [
        "id", "deployment_id", "incident_id", "kind", "provenance", "note", "created_at",
        "created_by",
    ]  # fmt: skip
    out["cause_links"] = copy(db, "deployment_incident_links", link_cols, iter(causes))
    return out


def timed(label: str, fn: Callable[[], Any], results: list[tuple[str, float, str]]) -> Any:
    metrics.clear_cache()
    started = time.perf_counter()
    value = fn()
    ms = (time.perf_counter() - started) * 1000
    size = f"{len(value)} rows" if isinstance(value, list) else ""
    results.append((label, ms, size))
    print(f"  {label:58} {ms:9.0f} ms  {size}", flush=True)
    return value


def queries(db: Database) -> list[tuple[str, float, str]]:
    """Each read the scoreboard makes, then whole boards, uncached."""
    results: list[tuple[str, float, str]] = []
    for days in (30, 90):
        _reads(db, days, results)
    for scope, label in (
        (ScopeIn(service="svc-7", since="30d"), "scoreboard: one service, 30d"),
        (ScopeIn(service="svc-7", since="90d"), "scoreboard: one service, 90d"),
        (ScopeIn(team="team-3", since="30d"), "scoreboard: one team (20 services), 30d"),
        (ScopeIn(since="30d"), "scoreboard: organisation (per-service split), 30d"),
        (ScopeIn(since="90d"), "scoreboard: organisation (per-service split), 90d"),
    ):
        with db.reader() as s:
            timed(label, lambda scope=scope, s=s: metrics.scoreboard(s, scope), results)
    with db.reader() as s:
        timed(
            "gather only, organisation 30d, lead times in one query",
            lambda: facts_module.gather(s, ScopeIn(since="30d")),
            results,
        )
    return results


def _reads(db: Database, days: int, results: list[tuple[str, float, str]]) -> None:
    from guardrail.incidents import reads as incidents
    from guardrail.releases import reports

    end = NOW
    start = end - timedelta(days=2 * days)  # the period and the one before it
    with db.reader() as s:
        deps = timed(
            f"releases.deployments, all services, 2x{days}d",
            lambda: reports.deployments(
                s, service=None, environment="production", start=start, end=end
            ),
            results,
        )
        timed(
            "releases.failure_reasons over them", lambda: reports.failure_reasons(s, deps), results
        )
        timed("releases.rework_of over them", lambda: reports.rework_of(s, deps), results)
        timed(
            f"releases.lead_times, all services, 2x{days}d",
            lambda: reports.lead_times(
                s, service=None, start=start, end=end, environments=["production"]
            ),
            results,
        )
        timed(
            f"  before: whole-history grouping, all services, 2x{days}d",
            lambda: _old_lead_rows(s, None, start, end),
            results,
        )
        timed(  # the first of the two ran on a colder cache
            f"  after, again, all services, 2x{days}d",
            lambda: reports.lead_times(
                s, service=None, start=start, end=end, environments=["production"]
            ),
            results,
        )
        names = sorted({d.service for d in deps})
        new = timed(
            f"releases.lead_times, per service (one query), 2x{days}d",
            lambda: reports.lead_times(
                s,
                service=None,
                start=start,
                end=end,
                environments=["production"],
                per_service=True,
            ),
            results,
        )
        old = timed(
            f"  before: whole-history grouping, service by service, 2x{days}d",
            lambda: [r for name in names for r in _old_lead_rows(s, name, start, end)],
            results,
        )
        same = sorted((r.sha, r.service) for r in new) == sorted((r.sha, r.service) for r in old)
        print(f"  {'  same commits and services as before':58} {same}", flush=True)
        timed(
            f"releases.lead_times, one service, 2x{days}d",
            lambda: reports.lead_times(
                s, service="svc-7", start=start, end=end, environments=["production"]
            ),
            results,
        )
        timed(
            f"incidents.incident_facts, all services, 2x{days}d",
            lambda: incidents.incident_facts(s, start=start, end=end),
            results,
        )


def _old_lead_rows(session: Any, service: str | None, start: datetime, end: datetime) -> list[Any]:
    """``reports.lead_times`` as it was before the period filter moved inside the query (for the
    before/after figures): the same columns and rows, with every commit's first production
    delivery grouped over the whole history, then filtered on the period."""
    from sqlalchemy import func, select

    from guardrail.releases.models import Commit, Deployment, DeploymentCommit, PullRequest
    from guardrail.releases.reports import LeadTime, _seconds

    first = (
        select(
            DeploymentCommit.commit_id.label("commit_id"),
            func.min(Deployment.deployed_at).label("deployed_at"),
        )
        .join(Deployment, Deployment.id == DeploymentCommit.deployment_id)
        .where(Deployment.status == "success", Deployment.environment.in_(["production"]))
        .group_by(DeploymentCommit.commit_id)
    )
    if service:
        first = first.where(Deployment.service == service)
    sub = first.subquery()
    query = (
        select(
            Commit.sha,
            Commit.committed_at,
            Commit.authored_at,
            PullRequest.merged_at,
            PullRequest.first_commit_at,
            PullRequest.opened_at,
            sub.c.deployed_at,
        )
        .join(sub, sub.c.commit_id == Commit.id)
        .outerjoin(PullRequest, PullRequest.id == Commit.pull_request_id)
        .where(sub.c.deployed_at >= start, sub.c.deployed_at < end)
    )
    return [
        LeadTime(
            sha=r.sha,
            deployed_at=r.deployed_at,
            commit_to_deploy=_seconds(r.committed_at or r.authored_at, r.deployed_at),
            merge_to_deploy=_seconds(r.merged_at, r.deployed_at),
            pr_first_commit_to_deploy=_seconds(r.first_commit_at or r.opened_at, r.deployed_at),
            service=service,
        )
        for r in session.execute(query)
    ]


def history(args: argparse.Namespace) -> None:
    admin = make_url(args.pg_url)
    name = args.reuse_db or f"guardrail_bench_metrics_{uuid.uuid4().hex[:8]}"
    engine = make_engine(args.pg_url)
    if not args.reuse_db:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    db = Database(make_engine(url))
    try:
        if not args.reuse_db:
            migrate.upgrade(db.engine)
            svc = services(db, args.services)
            print(f"loading history at scale {args.scale} into {name} …", flush=True)
            figures = load(db, svc, args.scale)
            print("  " + ", ".join(f"{k} {v:,}" for k, v in figures.items()), flush=True)
        queries(db)
    finally:
        db.dispose()
        if args.keep_db:
            print(f"kept {name}: run again with --reuse-db {name}", flush=True)
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


PAGES = [
    "/",
    "/?team=payments&since=90d",
    "/?service=search&since=7d",
    "/services",
    "/services/checkout-api",
    "/changes",
    "/changes/inbox",
    "/incidents",
    "/slos",
    "/releases",
    "/releases/{release}",
    "/api/v1/metrics",
    "/metrics",
]


def pages(args: argparse.Namespace) -> None:
    """Seed the demo once, then time the pages in two fresh processes: one whose first request
    arrives before anything is warm, one that let the startup warm-up finish first."""
    import subprocess

    from guardrail.demo import seed
    from guardrail.identity import service as identity
    from guardrail.identity.enums import Role
    from guardrail.identity.schemas import TokenCreate

    url = args.demo_url or f"sqlite:///{tempfile.mkdtemp()}/demo.db"
    db = Database(make_engine(url))
    migrate.upgrade(db.engine)
    started = time.perf_counter()
    with db.unit_of_work() as session:
        seeded = seed.seed(session)
        _, secret = identity.create_token(
            session, Actor.system("bench"), TokenCreate(name="b", role=Role.admin, person="sam")
        )
        _release(session)
    db.dispose()
    what = "seeded" if seeded else "already seeded"
    print(f"demo {what} in {time.perf_counter() - started:.1f} s ({url})", flush=True)
    for mode in ("cold", "warmed"):
        subprocess.run(
            [sys.executable, __file__, "--time-pages", url, "--token", secret, "--mode", mode],
            check=True,
        )


def _release(session: Any) -> None:
    """A release of the newest production version, for the release page (the demo names none)."""
    from guardrail.releases import reports
    from guardrail.releases import service as releases
    from guardrail.releases.schemas import ReleaseCreate

    if reports.list_releases(session, service=None, limit=1, offset=0)[1]:
        return
    deps, _ = reports.list_deployments(session, environment="production", status="success")
    dep = next(d for d in deps if d.version)
    data = ReleaseCreate(service=dep.service, version=dep.version)
    releases.create_release(session, Actor.system("bench"), data)


def time_pages(url: str, secret: str, mode: str) -> None:
    """In this (fresh) process: each page's first request, then again; server time in-process."""
    import threading

    from fastapi.testclient import TestClient

    from guardrail.api.app import create_app
    from guardrail.api.deps import SESSION_COOKIE
    from guardrail.config import Settings

    db = Database(make_engine(url))
    app = create_app(Settings(database_url=url), db)
    client = TestClient(app)
    if mode == "warmed":  # run the app's startup, as `guardrail serve` does, and let it finish
        client.__enter__()
        started = time.perf_counter()
        for thread in [t for t in threading.enumerate() if t.name == "guardrail-warm"]:
            thread.join()
        print(
            f"pages, startup warm-up done ({(time.perf_counter() - started) * 1000:.0f} ms "
            "after startup):",
            flush=True,
        )
    else:
        print("pages, nothing warm (first request of the process):", flush=True)
    client.cookies.set(SESSION_COOKIE, secret)
    headers = {"Authorization": f"Bearer {secret}"}
    metrics.clear_cache()
    with db.reader() as session:
        from guardrail.releases import reports

        release = reports.list_releases(session, service=None, limit=1, offset=0)[0][0].id
    for path in (p.format(release=release) for p in PAGES):
        times = []
        for _ in range(2):
            t = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
        timing = response.headers.get("server-timing", "")
        print(
            f"  {path:34} {response.status_code}  first {times[0]:5.0f} ms"
            f"  again {times[1]:4.0f} ms"
            f"  {timing}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--keep-db", action="store_true", help="Keep the history database.")
    parser.add_argument("--reuse-db", help="Time the reads on a database a --keep-db run kept.")
    parser.add_argument("--demo-url", help="Reuse (or create) the demo database at this URL.")
    parser.add_argument("--time-pages", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="cold", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_pages:
        time_pages(args.time_pages, args.token, args.mode)
        return
    if not args.skip_history:
        history(args)
    if not args.skip_pages:
        pages(args)


if __name__ == "__main__":
    sys.exit(main())
