"""Lead-time computation over a generated delivery history (100,000 deployments, 1,000,000
commits by default), on SQLite and PostgreSQL.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/releases_lead_time.py [--commits 1000000] [--deployments 100000]
        [--services 100] [--attribute-services 5] [--databases sqlite,postgresql]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The history: ``--services`` services, each with one linear first-parent chain of commits on
main (commits/services of them, one a minute) and deployments/services successful production
deployments, each deploying the newest commit of its stretch, so every deployment delivers
commits/deployments commits. Every 20th commit belongs to a merged pull request. Rows are written
with bulk inserts (COPY on PostgreSQL) into a freshly migrated database.

Measured:
- attribution: guardrail's own commit walk (``attribution.reattribute``) for every deployment of
  ``--attribute-services`` services, timed and reported per deployment; the delivered-commit rows
  of the other services are bulk-inserted as the walk would have computed them (doing the walk for
  all 100,000 deployments would take longer than this benchmark's budget; the per-deployment cost
  is what scales, and it does not depend on the table sizes beyond the indexes).
- lead times: ``reports.lead_times`` for all commits first delivered to production (1,000,000
  rows through the ORM read side), for one service, and for one service over one week; plus the
  median; and, as the scoreboard reads them, for the last two days of the history (a period
  and the one before it), all services at once and split by service in one query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from guardrail.kit.ids import new_id
from guardrail.releases import attribution, reports
from guardrail.releases.models import Commit, Deployment, DeploymentCommit, PullRequest
from guardrail.store import migrate
from guardrail.store.engine import make_engine
from guardrail.store.session import Database

START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 20_000


def sha(service: int, index: int) -> str:
    return f"{service:08x}{index:032x}"


def commit_rows(
    services: int, per_service: int, pr_ids: dict[tuple[int, int], str]
) -> Iterator[dict[str, Any]]:
    for s in range(services):
        for i in range(per_service):
            at = START + timedelta(minutes=i)
            yield {
                "id": new_id("cmt"),
                "sha": sha(s, i),
                "repository": f"acme/svc-{s}",
                "branch": "main",
                "parent_sha": sha(s, i - 1) if i else None,
                "message": f"change {i}",
                "author_name": "dev",
                "author_email": "dev@example.org",
                "authored_at": at,
                "committed_at": at,
                "pull_request_id": pr_ids.get((s, i // 20)),
                "first_seen_at": at,
            }


def pr_rows(
    services: int, per_service: int
) -> tuple[list[dict[str, Any]], dict[tuple[int, int], str]]:
    rows, ids = [], {}
    for s in range(services):
        for p in range(per_service // 20):
            pr_id = new_id("pr")
            opened = START + timedelta(minutes=p * 20)
            ids[(s, p)] = pr_id
            rows.append(
                {
                    "id": pr_id,
                    "key": f"github:acme/svc-{s}#{p}",
                    "repository": f"acme/svc-{s}",
                    "number": p,
                    "title": "pr",
                    "state": "merged",
                    "head_ref": f"f{p}",
                    "head_sha": None,
                    "merge_sha": None,
                    "author": "dev",
                    "opened_at": opened,
                    "merged_at": opened + timedelta(minutes=25),
                    "closed_at": None,
                    "first_commit_at": opened,
                    "url": None,
                    "created_at": opened,
                    "updated_at": opened,
                }
            )
    return rows, ids


def deployment_rows(services: int, per_service: int, stride: int) -> Iterator[dict[str, Any]]:
    for s in range(services):
        for d in range(per_service):
            head = (d + 1) * stride - 1
            at = START + timedelta(minutes=head + 30)
            yield {
                "id": new_id("dep"),
                "key": f"bench:{s}:{d}",
                "source": "bench",
                "service": f"svc-{s}",
                "service_id": None,
                "environment": "production",
                "repository": f"acme/svc-{s}",
                "version": f"v{d}",
                "sha": sha(s, head),
                "ref": "main",
                "status": "success",
                "status_at": at,
                "strategy": "rolling",
                "started_at": at,
                "finished_at": at,
                "deployed_at": at,
                "change_id": None,
                "rollback_of_id": None,
                "url": None,
                "attribution": "pending",
                "missing_sha": None,
                "commit_count": 0,
                "created_at": at,
                "updated_at": at,
            }


def bulk(db: Database, table: Any, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """Insert rows in batches (COPY on PostgreSQL); return how many."""
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            count += _write(db, table, batch)
            batch = []
    if batch:
        count += _write(db, table, batch)
    return count


def _write(db: Database, table: Any, batch: list[dict[str, Any]]) -> int:
    if db.engine.dialect.name == "postgresql":
        columns = list(batch[0])
        raw = db.engine.raw_connection()
        try:
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
            ):  # type: ignore[attr-defined]
                for row in batch:
                    copy.write_row([row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()
    else:
        with db.engine.begin() as conn:
            conn.execute(insert(table), batch)
    return len(batch)


def load_history(
    db: Database, services: int, per_service_commits: int, per_service_deps: int, stride: int
) -> dict[str, int]:
    """Pull requests, commits and deployments, bulk-written (no commit walk, no delivered
    rows); ``releases_ingest.py --history-…`` loads the same history under its pushes."""
    prs, pr_ids = pr_rows(services, per_service_commits)
    bulk(db, PullRequest.__table__, prs)
    figures = {
        "commits": bulk(db, Commit.__table__, commit_rows(services, per_service_commits, pr_ids)),
        "deployments": bulk(
            db, Deployment.__table__, deployment_rows(services, per_service_deps, stride)
        ),
    }
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return figures


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    db = Database(engine)
    per_service_commits = args.commits // args.services
    per_service_deps = args.deployments // args.services
    stride = per_service_commits // per_service_deps
    figures: dict[str, Any] = {"database": engine.dialect.name}

    started = time.perf_counter()
    figures.update(load_history(db, args.services, per_service_commits, per_service_deps, stride))
    figures["load_s"] = time.perf_counter() - started

    walked = list(range(args.attribute_services))
    started = time.perf_counter()
    walked_deps = 0
    for s in walked:
        with db.unit_of_work() as session:
            walked_deps += attribution.reattribute(session, f"svc-{s}", "production", None)
    walk_s = time.perf_counter() - started
    figures["attributed_deployments"] = walked_deps
    figures["attribution_ms_per_deployment"] = 1000 * walk_s / max(1, walked_deps)
    figures["attribution_deployments_per_s"] = walked_deps / walk_s if walk_s else 0

    started = time.perf_counter()
    figures["delivered_rows_bulk"] = bulk(
        db, DeploymentCommit.__table__, _delivered(db, args, walked, stride)
    )
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE deployments SET attribution = 'complete' WHERE attribution = 'pending'")
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    figures["delivered_bulk_s"] = time.perf_counter() - started

    end = START + timedelta(days=3650)
    with db.reader() as session:
        started = time.perf_counter()
        all_times = reports.lead_times(session, service=None, start=None, end=None)
        figures["lead_times_all_s"] = time.perf_counter() - started
        figures["lead_time_rows"] = len(all_times)
        started = time.perf_counter()
        figures["median_lead_time_min"] = (reports.median_lead_time(all_times) or 0) / 60
        figures["median_s"] = time.perf_counter() - started
        one = _timed(lambda: reports.lead_times(session, service="svc-7", start=None, end=end), 5)
        figures["lead_times_one_service_ms"] = one
        week = START + timedelta(days=3)
        figures["lead_times_one_service_week_ms"] = _timed(
            lambda: reports.lead_times(
                session, service="svc-7", start=week, end=week + timedelta(days=7)
            ),
            5,
        )
        # What the scoreboard reads: a period and the one before it, here the last 2 of the
        # history's days (one commit a minute per service: 10,000 commits span about 7 days).
        last = START + timedelta(minutes=per_service_commits + 30)
        period = {"start": last - timedelta(days=2), "end": last + timedelta(minutes=1)}
        started = time.perf_counter()
        rows = reports.lead_times(session, service=None, **period)
        figures["lead_times_2_days_all_s"] = time.perf_counter() - started
        figures["lead_times_2_days_rows"] = len(rows)
        started = time.perf_counter()
        rows = reports.lead_times(session, service=None, per_service=True, **period)
        figures["lead_times_2_days_per_service_s"] = time.perf_counter() - started
    engine.dispose()
    return figures


def _delivered(
    db: Database, args: argparse.Namespace, walked: list[int], stride: int
) -> Iterator[dict[str, Any]]:
    """The delivered-commit rows of the services not walked: stride commits per deployment."""
    with db.engine.connect() as conn:
        commits = dict(conn.execute(text("SELECT sha, id FROM commits")).all())
        deps = conn.execute(text("SELECT id, service, sha FROM deployments")).all()
    skip = {f"svc-{s}" for s in walked}
    for dep_id, service, head in deps:
        if service in skip:
            continue
        s, head_index = int(head[:8], 16), int(head[8:], 16)
        for i in range(head_index - stride + 1, head_index + 1):
            yield {"deployment_id": dep_id, "commit_id": commits[sha(s, i)]}


def _timed(fn: Any, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(1000 * (time.perf_counter() - started))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1_000_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--attribute-services", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = []
    for name in args.databases.split(","):
        if name == "sqlite":
            results.append(run(f"sqlite:///{tempfile.mkdtemp()}/bench.db", args))
        else:
            results.append(_with_pg(args))
        print(results[-1], file=sys.stderr)
    for figures in results:
        print(f"\n== {figures['database']}")
        for key, value in figures.items():
            print(f"  {key:34} {value:.2f}" if isinstance(value, float) else f"  {key:34} {value}")
    return 0


def _with_pg(args: argparse.Namespace) -> dict[str, Any]:
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    name = f"guardrail_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run(make_url(args.pg_url).set(database=name).render_as_string(False), args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
