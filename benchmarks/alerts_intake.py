"""Alert intake throughput: Alertmanager batches of 100 and PagerDuty events, with deduplication.

Run on demand (not a test; it prints figures):

    .venv/bin/python benchmarks/alerts_intake.py [--batches 200] [--pd-events 2000]
        [--concurrency 8] [--workers 1] [--access-log] [--databases sqlite,postgresql]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Per database it creates a fresh database (SQLite file in a temp directory; PostgreSQL database
``guardrail_bench_alerts``, dropped at the end), migrates it, creates a service, an Alertmanager and
a PagerDuty integration, and serves ``guardrail.api.app:create_app`` with uvicorn (``--workers``
processes, default 1, apart from the client; ``--access-log`` serves
``create_server_process_app`` at log level INFO, so every request writes its access log line as
under ``guardrail serve``). A bare asyncio HTTP/1.1 client (keep-alive connections, requests
built up front, so that the client costs little of the shared CPU) then posts, with C requests in
flight:

- Alertmanager: B notifications of 100 alerts each (distinct fingerprints, 10 alert names), then
  every 10th notification again byte for byte (a replay: 2xx, and nothing new stored);
- PagerDuty: E trigger events to /v2/enqueue with 20% repeating an earlier dedup_key (a new
  body, so a new delivery that dedups at the alert level) and 5% exact replays.

Malformed requests to each endpoint warm the server up first (400, nothing stored, not measured).
Reported: alerts/s acknowledged (alerts in 2xx answers / wall time), request p50/p99, and the
server processes' CPU time per request (steadier than the rates under a shared machine's noise),
and the load average before and after the requests. Then the worker drains the stored deliveries
in-process and the benchmark COUNTS: stored deliveries must equal distinct bodies sent, and
stored alerts must equal distinct fingerprints / dedup keys (every alert stored exactly once).
Exit status 1 if any answer was not 2xx or any count is off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from guardrail.alerts.models import Alert
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.config import Settings
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.schemas import IntegrationCreate
from guardrail.integrations.models import InboundEvent
from guardrail.kit.context import Actor
from guardrail.store import migrate
from guardrail.store.engine import make_engine, normalise_url
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker

PG_DB = "guardrail_bench_alerts"


@dataclass
class Run:
    label: str
    requests: int = 0
    alerts: int = 0
    non_2xx: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    errors: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of group ``pgid`` (Linux).

    The machine may be shared, so wall-clock rates vary with the neighbours' load; the server's
    CPU time per request does not, and says what one free core could take.
    """
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str) -> tuple[dict[str, str], dict[str, str]]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    db, actor = Database(engine), Actor.system("benchmark")
    with db.unit_of_work() as session:
        cmdb.create_service(session, actor, ServiceCreate(name="checkout"))
        am = inbound.create_integration(
            session, actor, IntegrationCreate(type="alertmanager"), base_url=""
        )
        pd = inbound.create_integration(
            session, actor, IntegrationCreate(type="pagerduty", service="checkout"), base_url=""
        )
    db.dispose()
    return {"id": am.id, "secret": am.secret}, {"routing_key": pd.routing_key or ""}


def serve(
    url: str, workdir: Path, workers: int, access_log: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    level = "INFO" if access_log else "WARNING"
    env = {**os.environ, "GUARDRAIL_DATABASE_URL": url, "GUARDRAIL_LOG_LEVEL": level}
    log = (workdir / f"uvicorn-{port}.log").open("wb")
    # With --access-log, each process sets up logging as `guardrail serve --processes N` does
    # and writes guardrail's access log line per request (to the log file in the temp dir).
    factory = "create_server_process_app" if access_log else "create_app"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"guardrail.api.app:{factory}",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"uvicorn did not answer; see {log.name}")


def am_bodies(batches: int, run_id: str) -> list[bytes]:
    bodies = []
    for b in range(batches):
        alerts = [
            {
                "status": "firing",
                "labels": {
                    "alertname": f"Alert{(b * 100 + i) % 10}",
                    "service": "checkout",
                    "instance": f"{run_id}-{b}-{i}",
                    "severity": "warning",
                },
                "annotations": {"summary": f"alert {b}-{i}"},
                "startsAt": "2024-05-01T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": f"{run_id}{b:05d}{i:03d}",
            }
            for i in range(100)
        ]
        bodies.append(
            json.dumps(
                {
                    "version": "4",
                    "groupKey": f"g{b}",
                    "status": "firing",
                    "receiver": "guardrail",
                    "alerts": alerts,
                }
            ).encode()
        )
    return bodies


def pd_bodies(
    events: int, routing_key: str, run_id: str, rng: random.Random
) -> tuple[list[bytes], int]:
    bodies: list[bytes] = []
    keys: list[str] = []
    for n in range(events):
        roll = rng.random()
        if bodies and roll < 0.05:
            bodies.append(rng.choice(bodies))  # exact replay
            continue
        key = rng.choice(keys) if keys and roll < 0.25 else f"{run_id}-pd-{n}"
        if key not in keys:
            keys.append(key)
        bodies.append(
            json.dumps(
                {
                    "routing_key": routing_key,
                    "event_action": "trigger",
                    "dedup_key": key,
                    "payload": {"summary": f"event {n}", "source": "bench", "severity": "error"},
                }
            ).encode()
        )
    return bodies, len(keys)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(
        (
            int(v)
            for k, _, v in (x.partition(":") for x in lines[1:])
            if k.lower() == "content-length"
        ),
        0,
    )
    return status, await reader.readexactly(length)


async def post_all(
    base: str,
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    per_body: int,
    concurrency: int,
    label: str,
    server_pgid: int,
) -> Run:
    """Post every body over ``concurrency`` keep-alive connections.

    A bare HTTP/1.1 client on asyncio streams (requests built up front): on a 2-core machine the
    client shares the CPU with the server, and a full HTTP client library costs more per request
    than the endpoint being measured.
    """
    run = Run(label)
    host, port = base.removeprefix("http://").split(":")
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    requests = [f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body for body in bodies]
    pending = iter(requests)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for request in pending:
                started = time.perf_counter()
                status, answer = await _exchange(reader, writer, request)
                run.latencies.append(time.perf_counter() - started)
                run.requests += 1
                if 200 <= status < 300:
                    run.alerts += per_body
                else:
                    run.non_2xx += 1
                    run.errors.append(f"{status} {answer[:300].decode(errors='replace')}")
        finally:
            writer.close()

    started, cpu = time.perf_counter(), group_cpu(server_pgid)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    run.server_cpu = group_cpu(server_pgid) - cpu
    return run


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        events = conn.scalar(select(func.count()).select_from(InboundEvent)) or 0
        alerts = conn.scalar(select(func.count()).select_from(Alert)) or 0
    engine.dispose()
    return events, alerts


def drain(url: str) -> tuple[int, float]:
    load_job_modules()
    db = Database(make_engine(url))
    settings = Settings(database_url=url, worker_batch_size=50, _env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    ran = Worker(db, settings).run_until_empty()
    seconds = time.perf_counter() - started
    db.dispose()
    return ran, seconds


def bench(label: str, url: str, opts: argparse.Namespace, workdir: Path) -> bool:
    am, pd = prepare(url)
    run_id = f"r{random.randrange(10**6):06d}"
    bodies = am_bodies(opts.batches, run_id)
    replays = bodies[::10]
    pd_list, pd_keys = pd_bodies(opts.pd_events, pd["routing_key"], run_id, random.Random(7))
    proc, base = serve(url, workdir, opts.workers, opts.access_log)
    load_before = os.getloadavg()[0]
    try:
        auth = {"Authorization": f"Bearer {am['secret']}", "Content-Type": "application/json"}
        # Warm-up (not measured): malformed bodies load every code path and store nothing.
        for _ in range(4 * opts.workers):  # each server process answers some of them
            httpx.post(f"{base}/hooks/alertmanager/{am['id']}", content=b"{}", headers=auth)
            httpx.post(f"{base}/v2/enqueue", content=b"{}")
        am_run = asyncio.run(
            post_all(
                base,
                f"/hooks/alertmanager/{am['id']}",
                bodies + replays,
                auth,
                100,
                opts.concurrency,
                "alertmanager x100",
                proc.pid,
            )
        )
        pd_run = asyncio.run(
            post_all(
                base,
                "/v2/enqueue",
                pd_list,
                {"Content-Type": "application/json"},
                1,
                opts.concurrency,
                "pagerduty",
                proc.pid,
            )
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    load_after = os.getloadavg()[0]
    stored_events, _ = counts(url)
    jobs, drain_seconds = drain(url)
    _, stored_alerts = counts(url)
    distinct_pd_bodies = len(set(pd_list))
    expect_events = len(bodies) + distinct_pd_bodies
    expect_alerts = opts.batches * 100 + pd_keys
    for run in (am_run, pd_run):
        print(
            f"{label:10} {run.label:18} {run.requests:6d} req "
            f"{run.alerts / run.seconds:9.0f} alerts/s "
            f"p50 {run.pct(0.5):7.1f} ms p99 {run.pct(0.99):7.1f} ms non-2xx {run.non_2xx}; "
            f"server CPU {1000 * run.server_cpu / max(run.requests, 1):.2f} ms/req"
        )
    print(f"{label:10} load average (1 min) {load_before:.1f} before, {load_after:.1f} after")
    for error in (am_run.errors + pd_run.errors)[:3]:
        print(f"{label:10} first non-2xx: {error}")
    processed = opts.batches * 100 + distinct_pd_bodies
    print(
        f"{label:10} processing: {jobs} jobs in {drain_seconds:.1f}s "
        f"({processed / drain_seconds:.0f} alert signals/s, one worker in-process)"
    )
    ok = (
        am_run.non_2xx == pd_run.non_2xx == 0
        and stored_events == expect_events
        and stored_alerts == expect_alerts
    )
    print(
        f"{label:10} stored deliveries {stored_events} (expected {expect_events}); "
        f"stored alerts {stored_alerts} (expected {expect_alerts}) -> {'OK' if ok else 'MISMATCH'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--pd-events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="serve with the access log at INFO, as in production",
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    opts = parser.parse_args()
    print(
        f"cores: {os.cpu_count()}; python {sys.version.split()[0]}; batches {opts.batches} x 100, "
        f"pagerduty events {opts.pd_events}, concurrency {opts.concurrency}, "
        f"server processes {opts.workers}, access log {'on' if opts.access_log else 'off'}"
    )
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name in opts.databases.split(","):
            if name == "sqlite":
                ok &= bench("sqlite", f"sqlite:///{workdir / 'bench.db'}", opts, workdir)
            elif name == "postgresql":
                admin = create_engine(normalise_url(opts.pg_url), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
                    conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
                url = (
                    make_url(normalise_url(opts.pg_url))
                    .set(database=PG_DB)
                    .render_as_string(hide_password=False)
                )
                try:
                    ok &= bench("postgresql", url, opts, workdir)
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
                    admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
