"""Signed GitHub push ingestion: deliveries/s and latency of ``POST /hooks/github/<id>``,
then how fast the worker turns the stored deliveries into commits; on SQLite and PostgreSQL.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/releases_ingest.py [--deliveries 3000] [--concurrency 8]
        [--commits-per-push 3] [--databases sqlite,postgresql]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--history-commits 1000000 --history-deployments 100000 [--history-services 100]]

With ``--history-…`` the database first holds the issue's history (bulk-written as
``releases_lead_time.py`` writes it: commits, pull requests, successful deployments and what
each delivered), so the pushes are stored and processed next to a million commits.

Per database: a fresh migrated database, a GitHub integration, and
``uvicorn --factory guardrail.api.app:create_app`` in its own process (1 worker, no access log).
``--concurrency`` client threads (httpx, keep-alive) post ``--deliveries`` push payloads, each a
distinct delivery with ``--commits-per-push`` new commits, pretty-printed as GitHub sends them
and signed with X-Hub-Signature-256. Every answer must be 202; latency is measured per request
by the client, from send to full answer. 200 replays of already-sent deliveries follow (each must
answer 200, duplicate). Then one in-process worker drains the queue and the processing rate is
timed. Clients, server and database share this machine's cores.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from guardrail.config import Settings
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.schemas import IntegrationCreate
from guardrail.integrations.models import InboundEvent
from guardrail.kit.context import Actor
from guardrail.releases.models import Commit
from guardrail.store import migrate
from guardrail.store.engine import make_engine
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker


def push_body(n: int, commits: int) -> bytes:
    shas = [hashlib.sha1(f"{n}-{i}".encode()).hexdigest() for i in range(commits)]
    before = hashlib.sha1(f"{n}-before".encode()).hexdigest()
    payload = {
        "ref": "refs/heads/main",
        "before": before,
        "after": shas[-1],
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [
            {
                "id": s,
                "message": f"change {n}.{i}",
                "timestamp": "2025-03-03T09:00:00Z",
                "distinct": True,
                "author": {"name": "Dev", "email": "dev@example.org", "username": "dev"},
                "committer": {"name": "GitHub", "email": "noreply@github.com"},
                "added": [],
                "removed": [],
                "modified": ["README.md"],
            }
            for i, s in enumerate(shas)
        ],
        "repository": {"full_name": "acme/shop", "name": "shop"},
        "pusher": {"name": "dev"},
    }
    return json.dumps(payload, indent=2).encode() + b"\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "GUARDRAIL_DATABASE_URL": url, "GUARDRAIL_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "guardrail.api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def post_all(
    base: str, integration: Any, bodies: list[tuple[str, bytes]], concurrency: int
) -> tuple[list[float], list[int]]:
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    index = iter(range(len(bodies)))

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with lock:
                    i = next(index, None)
                if i is None:
                    return
                delivery, body = bodies[i]
                signature = (
                    "sha256="
                    + hmac.new(integration.secret.encode(), body, hashlib.sha256).hexdigest()
                )
                headers = {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": delivery,
                    "X-Hub-Signature-256": signature,
                }
                started = time.perf_counter()
                response = client.post(
                    f"/hooks/github/{integration.id}", content=body, headers=headers
                )
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def preload(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    """The issue's history under the pushes: ``--history-commits`` commits and
    ``--history-deployments`` deployments over ``--history-services`` services, and what each
    deployment delivered, bulk-written as ``releases_lead_time.py`` writes them."""
    from releases_lead_time import _delivered, bulk, load_history

    from guardrail.releases.models import DeploymentCommit

    if not args.history_commits:
        return {}
    started = time.perf_counter()
    per_commits = args.history_commits // args.history_services
    per_deps = args.history_deployments // args.history_services
    stride = per_commits // per_deps
    figures: dict[str, Any] = {
        f"history_{k}": v
        for k, v in load_history(db, args.history_services, per_commits, per_deps, stride).items()
    }
    shape = argparse.Namespace(commits=args.history_commits, deployments=args.history_deployments)
    figures["history_delivered"] = bulk(
        db, DeploymentCommit.__table__, _delivered(db, shape, [], stride)
    )
    with db.engine.begin() as conn:
        # As the commit walk leaves them: every delivery known.
        conn.execute(text("UPDATE deployments SET attribution = 'complete'"))
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    figures["history_load_s"] = time.perf_counter() - started
    return figures


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    db = Database(engine)
    history = preload(db, args)
    with db.unit_of_work() as session:
        created = inbound.create_integration(
            session, Actor.system("bench"), IntegrationCreate(type="github"), base_url=""
        )
    integration = argparse.Namespace(id=created.id, secret=created.secret)
    bodies = [
        (str(uuid.uuid4()), push_body(n, args.commits_per_push)) for n in range(args.deliveries)
    ]
    proc, base = serve(url)
    try:
        post_all(base, integration, bodies[:50], args.concurrency)  # warm-up, counted in the store
        started = time.perf_counter()
        latencies, statuses = post_all(base, integration, bodies[50:], args.concurrency)
        wall = time.perf_counter() - started
        _, replay_statuses = post_all(base, integration, bodies[50:250], args.concurrency)
    finally:
        proc.terminate()
        proc.wait(10)
    load_job_modules()
    started = time.perf_counter()
    Worker(
        db, Settings(database_url=url, _env_file=None, worker_batch_size=100), worker_id="bench"
    ).run_until_empty()  # type: ignore[call-arg]
    processing = time.perf_counter() - started
    with db.reader() as session:
        events = session.scalar(select(func.count()).select_from(InboundEvent))
        commits = session.scalar(select(func.count()).select_from(Commit))
    engine.dispose()
    return {
        "database": engine.dialect.name,
        **history,
        "deliveries": len(latencies),
        "non_202": sum(1 for s in statuses if s != 202),
        "deliveries_per_s": len(latencies) / wall,
        "p50_ms": pct(latencies, 0.50),
        "p99_ms": pct(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "replays_not_200": sum(1 for s in replay_statuses if s != 200),
        "events_stored": events,
        "commits_stored": commits,
        "processed_per_s": (events or 0) / processing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--commits-per-push", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--history-commits", type=int, default=0, help="e.g. 1000000: the issue's scale"
    )
    parser.add_argument(
        "--history-deployments", type=int, default=0, help="e.g. 100000: the issue's scale"
    )
    parser.add_argument("--history-services", type=int, default=100)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = []
    for name in args.databases.split(","):
        if name == "sqlite":
            results.append(run(f"sqlite:///{tempfile.mkdtemp()}/bench.db", args))
            continue
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        db_name = f"guardrail_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        try:
            results.append(
                run(make_url(args.pg_url).set(database=db_name).render_as_string(False), args)
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin.dispose()
    print(
        f"{os.cpu_count()} cores, concurrency {args.concurrency}, "
        f"{args.commits_per_push} commits per push"
    )
    for figures in results:
        print(f"\n== {figures['database']}")
        for key, value in figures.items():
            print(f"  {key:22} {value:.1f}" if isinstance(value, float) else f"  {key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
