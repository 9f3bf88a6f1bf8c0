"""Drain a queue of selftest jobs with separate `guardrail worker` processes and check exactly-once.

Run on demand (not a test; it prints figures):

    .venv/bin/python benchmarks/worker_drain.py [--jobs 10000] [--workers 2] [--batch-size 20]
        [--database-url postgresql+psycopg://…/db | sqlite:///path.db]

Without --database-url it (re)creates the database ``guardrail_drain`` on the PostgreSQL server of
postgresql+psycopg://postgres@127.0.0.1:5432/test. The database is migrated, N ``selftest.tick``
jobs are enqueued, then W ``guardrail worker --until-empty`` OS processes drain them. Each run of a
selftest job appends one audit event naming the job, so the audit trail shows whether every job ran
exactly once. Exit status 1 when any job did not run exactly once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from guardrail.audit import service as audit
from guardrail.audit.models import AuditEvent
from guardrail.kit.context import Actor
from guardrail.store import migrate
from guardrail.store.engine import make_engine, normalise_url
from guardrail.store.outbox import Job
from guardrail.store.session import Database
from guardrail.worker import selftest

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DRAIN_DB = "guardrail_drain"
ENQUEUE_CHUNK = 5000
# Until the root CLI is importable, the same command through a minimal Typer app.
FALLBACK_DRIVER = (
    "import typer; from guardrail.cli.jobs import register; "
    "app = typer.Typer(); register(app); app()"
)


@dataclass
class Figures:
    enqueued: int
    enqueue_seconds: float
    elapsed: float
    statuses: Counter[str]
    per_worker: Counter[str]
    exactly_once: int
    missing: int
    duplicated: int
    foreign_events: int
    drain_window: float | None
    chain_ok: bool
    chain_checked: int


def fresh_postgres(server_url: str) -> str:
    """Drop and create ``guardrail_drain`` beside ``server_url``'s database; return its URL."""
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DRAIN_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DRAIN_DB}"'))
    admin.dispose()
    url = make_url(normalise_url(server_url)).set(database=DRAIN_DB)
    return url.render_as_string(hide_password=False)


def enqueue(db: Database, count: int) -> list[str]:
    ids: list[str] = []
    actor = Actor.system("benchmark")
    while len(ids) < count:
        with db.unit_of_work() as session:
            chunk = min(ENQUEUE_CHUNK, count - len(ids))
            ids.extend(selftest.enqueue_ticks(session, actor, chunk))
    return ids


def worker_command() -> list[str]:
    """``python -m guardrail worker --until-empty``, or the fallback driver if that cannot start."""
    probe = subprocess.run(
        [sys.executable, "-m", "guardrail", "worker", "--help"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "guardrail", "worker", "--until-empty"]
    print("note: `python -m guardrail` does not start; using the fallback driver", file=sys.stderr)
    return [sys.executable, "-c", FALLBACK_DRIVER, "worker", "--until-empty"]


def run_workers(url: str, count: int, batch_size: int, logs: Path) -> float:
    """Start ``count`` worker processes at once and wait for all; return the wall time."""
    env = {
        **os.environ,
        "GUARDRAIL_DATABASE_URL": url,
        "GUARDRAIL_WORKER_BATCH_SIZE": str(batch_size),
        "GUARDRAIL_LOG_LEVEL": "WARNING",
    }
    command = worker_command()
    started = time.perf_counter()
    procs = []
    for n in range(count):
        log = (logs / f"worker-{n}.log").open("w")
        procs.append((subprocess.Popen(command, env=env, stdout=log, stderr=log), log))
    for proc, log in procs:
        proc.wait()
        log.close()
    elapsed = time.perf_counter() - started
    for n, (proc, _) in enumerate(procs):
        tail = (logs / f"worker-{n}.log").read_text().strip().splitlines()[-1:]
        print(f"  worker process {n}: exit {proc.returncode}; {' '.join(tail)}")
    return elapsed


def count(db: Database, ids: list[str]) -> tuple[Counter[str], Counter[str], Counter[str], float]:
    """Statuses and runners of our jobs, audit events per job id, and the drain window."""
    wanted = set(ids)
    statuses: Counter[str] = Counter()
    runners: Counter[str] = Counter()
    finished = []
    with db.reader() as session:
        rows = session.execute(
            select(Job.id, Job.status, Job.locked_by, Job.finished_at).where(
                Job.kind == selftest.KIND
            )
        )
        for job_id, status, locked_by, finished_at in rows:
            if job_id in wanted:
                statuses[status] += 1
                runners[locked_by or "(none)"] += 1
                if finished_at is not None:
                    finished.append(finished_at)
        events = session.execute(
            select(AuditEvent.object_id, func.count())
            .where(AuditEvent.action == selftest.KIND)
            .group_by(AuditEvent.object_id)
        )
        per_job: Counter[str] = Counter(dict(events.all()))
    window = (max(finished) - min(finished)).total_seconds() if len(finished) > 1 else 0.0
    return statuses, runners, per_job, window


def measure(url: str, jobs: int, workers: int, batch_size: int) -> Figures:
    engine = make_engine(url)
    migrate.upgrade(engine)
    db = Database(engine)
    started = time.perf_counter()
    ids = enqueue(db, jobs)
    enqueue_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="guardrail-drain-") as logs:
        elapsed = run_workers(url, workers, batch_size, Path(logs))
    statuses, runners, per_job, window = count(db, ids)
    with db.reader() as session:
        verdict = audit.verify(session)
    db.dispose()
    wanted = set(ids)
    return Figures(
        enqueued=len(ids),
        enqueue_seconds=enqueue_seconds,
        elapsed=elapsed,
        statuses=statuses,
        per_worker=runners,
        exactly_once=sum(1 for i in ids if per_job[i] == 1),
        missing=sum(1 for i in ids if per_job[i] == 0),
        duplicated=sum(1 for i in ids if per_job[i] > 1),
        foreign_events=sum(n for key, n in per_job.items() if key not in wanted),
        drain_window=window,
        chain_ok=verdict.ok,
        chain_checked=verdict.checked,
    )


def report(url: str, workers: int, batch_size: int, f: Figures) -> None:
    done = f.statuses.get("done", 0)
    print(f"database:        {make_url(url).render_as_string(hide_password=True)}")
    print(f"workers:         {workers} processes, batch size {batch_size}")
    print(f"enqueued:        {f.enqueued} jobs in {f.enqueue_seconds:.2f} s")
    print(f"jobs done:       {done}")
    print(f"jobs not done:   {f.enqueued - done}  {dict(f.statuses)}")
    print(
        f"audit events:    exactly once {f.exactly_once}, missing {f.missing}, "
        f"more than once {f.duplicated}  (events for other jobs: {f.foreign_events})"
    )
    print("ran per worker:  " + ", ".join(f"{w}: {n}" for w, n in f.per_worker.most_common()))
    print(f"elapsed:         {f.elapsed:.2f} s (process start to last exit)")
    print(f"throughput:      {done / f.elapsed:.0f} jobs/s")
    if f.drain_window:
        print(
            f"drain window:    {f.drain_window:.2f} s first to last completion, "
            f"{done / f.drain_window:.0f} jobs/s"
        )
    print(f"audit chain:     {'intact' if f.chain_ok else 'BROKEN'} ({f.chain_checked} events)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="Database to use (default: a fresh PostgreSQL one).")
    parser.add_argument("--server-url", default=DEFAULT_SERVER, help="PostgreSQL server to use.")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=20)
    args = parser.parse_args()
    url = normalise_url(args.database_url) if args.database_url else fresh_postgres(args.server_url)
    figures = measure(url, args.jobs, args.workers, args.batch_size)
    report(url, args.workers, args.batch_size, figures)
    ok = figures.exactly_once == figures.enqueued and figures.chain_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
