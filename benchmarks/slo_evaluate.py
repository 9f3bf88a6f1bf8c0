"""One SLO evaluation cycle over many event-sourced SLOs: time and peak memory.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/slo_evaluate.py [--slos 5000] [--days 30] [--recent 60]
        [--databases sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each database gets a fresh migrated schema with ``--slos`` event-sourced SLOs (99.9% over 30
days, Workbook alert windows) spread over services, ten per service. Every SLO has one hourly
interval of pushed counts for ``--days`` days and one interval per minute for the last
``--recent`` minutes; one SLO in ten burns at 2% errors in the recent minutes, so its alerts fire.
Then two cycles of ``guardrail.slo.evaluate.evaluate_all`` run, each in its own committed unit of
work: the first stores a snapshot per SLO and raises the alerts; the second (inside the snapshot
interval) only refreshes the state. Both evaluate at the seeding time plus 30 seconds, so
they see the same data however long seeding took. Peak memory is tracemalloc's peak of Python
allocations during the cycle, and the process's maximum RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from guardrail.cmdb.models import Service
from guardrail.kit.ids import new_id
from guardrail.kit.time import utcnow
from guardrail.slo.documents import parse_files
from guardrail.slo.evaluate import evaluate_all
from guardrail.slo.models import Slo, SloAlert, SloEvent
from guardrail.store import migrate
from guardrail.store.engine import make_engine
from guardrail.store.session import Database

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: availability}
spec:
  service: svc
  indicator:
    metadata: {name: events}
    spec:
      ratioMetric:
        good: {metricSource: {type: guardrail}}
        total: {metricSource: {type: guardrail}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
"""
PER_SERVICE = 10
BATCH = 50_000


def fresh_database(kind: str, pg_url: str) -> tuple[str, Any]:
    if kind == "sqlite":
        path = f"/tmp/guardrail-bench-slo-{uuid.uuid4().hex[:8]}.db"

        def remove() -> None:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)

        return f"sqlite:///{path}", remove
    name = f"guardrail_bench_slo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(pg_url).set(database=name).render_as_string(hide_password=False), drop


def seed(db: Database, slos: int, days: int, recent: int) -> tuple[int, datetime]:
    """Services, SLOs and their pushed counts; returns the number of event rows and "now"."""
    template = parse_files([("bench.yaml", SPEC)]).slos[0]
    now = utcnow().replace(second=0, microsecond=0)
    hours = [now - timedelta(hours=h) for h in range(1, days * 24 + 1)]
    minutes = [now - timedelta(minutes=m) for m in range(1, recent + 1)]
    ids = []
    with db.unit_of_work() as session:
        services = [
            {
                "id": new_id("svc"),
                "name": f"svc-{i:05d}",
                "display_name": "",
                "description": "",
                "tier": 3,
                "lifecycle": "production",
                "environments": [],
                "created_at": now,
                "updated_at": now,
            }
            for i in range(-(-slos // PER_SERVICE))
        ]
        session.execute(insert(Service), services)
        rows = []
        for i in range(slos):
            service = services[i // PER_SERVICE]
            spec = template.model_copy(
                update={"name": f"slo-{i % PER_SERVICE}", "service": service["name"]}
            )
            ids.append(new_id("slo"))
            rows.append(
                {
                    "id": ids[-1],
                    "service_id": service["id"],
                    "name": spec.name,
                    "display_name": "",
                    "format": spec.format,
                    "source": "events",
                    "objective": spec.objective,
                    "window_seconds": spec.window.nominal_seconds,
                    "timeslice_target": None,
                    "version": 1,
                    "digest": "bench",
                    "spec": spec.model_dump(mode="json"),
                    "state": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(Slo), rows)
    count = 0
    batch: list[dict[str, Any]] = []
    for index, slo_id in enumerate(ids):
        burning = index % 10 == 0
        for start in hours:
            batch.append(
                {
                    "slo_id": slo_id,
                    "interval_start": start,
                    "interval_seconds": 3600,
                    "good": 60_000,
                    "total": 60_000,
                    "received_at": now,
                }
            )
        for start in minutes:
            good = 980 if burning else 1000
            batch.append(
                {
                    "slo_id": slo_id,
                    "interval_start": start + timedelta(seconds=30),
                    "interval_seconds": 60,
                    "good": good,
                    "total": 1000,
                    "received_at": now,
                }
            )
        if len(batch) >= BATCH:
            count += _flush(db, batch)
    return count + _flush(db, batch), now


def _flush(db: Database, batch: list[dict[str, Any]]) -> int:
    size = len(batch)
    if batch:
        with db.unit_of_work() as session:
            session.execute(insert(SloEvent), batch)
        batch.clear()
    return size


def cycle(db: Database, at: datetime) -> tuple[float, float, Any]:
    tracemalloc.start()
    started = time.perf_counter()
    with db.unit_of_work() as session:
        summary = evaluate_all(session, at)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return elapsed, peak, summary


def run(kind: str, args: argparse.Namespace) -> None:
    url, drop = fresh_database(kind, args.pg_url)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        db = Database(engine)
        started = time.perf_counter()
        events, now = seed(db, args.slos, args.days, args.recent)
        print(
            f"[{kind}] seeded {args.slos} SLOs and {events:,} event rows in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
        for label in ("first cycle", "second cycle"):
            # Both cycles see the data as of the seeding (however long seeding took).
            elapsed, peak, summary = cycle(db, now + timedelta(seconds=30))
            print(
                f"[{kind}] {label}: {elapsed:.2f}s, peak Python memory {peak:.1f} MiB; "
                f"evaluated {summary.evaluated}, no data {summary.no_data}, fired "
                f"{summary.fired}, resolved {summary.resolved}, snapshots {summary.snapshots}",
                flush=True,
            )
        with db.reader() as session:
            firing = session.scalar(select(func.count()).select_from(SloAlert)) or 0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load = os.getloadavg()[0]
        print(
            f"[{kind}] alerts stored {firing}; process max RSS {rss:.0f} MiB; "
            f"load average {load:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
    finally:
        engine.dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slos", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--recent", type=int, default=60)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}; {args.slos} SLOs, {args.days} days hourly + "
        f"{args.recent} minutes per-minute counts each"
    )
    for kind in args.databases.split(","):
        run(kind.strip(), args)


if __name__ == "__main__":
    main()
