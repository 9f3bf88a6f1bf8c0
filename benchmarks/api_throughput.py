"""Requests/s and latency of guardrail's service catalogue API, beside a bare FastAPI app.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/api_throughput.py [--seconds 10] [--concurrency 16]
        [--databases sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database it builds a fresh, migrated database with an admin token and ~50 services,
serves ``guardrail.api.app:create_app`` with uvicorn in its own process, and loads
``GET /api/v1/services`` and ``POST /api/v1/services`` with wrk (closed loop, C connections,
S seconds after a warm-up). A bare FastAPI hello-world, served the same way, is measured before
and after the databases; each scenario's requests/s is reported as a ratio to the hello-world's
mean.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.identity import service as identity
from guardrail.identity.schemas import TeamCreate
from guardrail.kit.context import Actor
from guardrail.store import migrate
from guardrail.store.engine import make_engine, normalise_url
from guardrail.store.session import Database

HERE = Path(__file__).resolve().parent
SERVICES = 50
TEAMS = 5
RESULT_TAG = "BENCH_RESULT "
CLK_TCK = os.sysconf("SC_CLK_TCK")

# One Lua script for every scenario. It counts non-2xx answers itself (wrk's own "Non-2xx"
# counter only counts status >= 400) and prints one JSON line that the benchmark parses.
# Its arguments: method, bearer token ("-" for none), and a prefix that makes POSTed names unique.
WRK_LUA = r"""
local threads = {}
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

function init(args)
  method, prefix = args[1], args[3]
  if args[2] ~= "-" then wrk.headers["Authorization"] = "Bearer " .. args[2] end
  if method == "POST" then wrk.headers["Content-Type"] = "application/json" end
  counter, non2xx, first_bad = 0, 0, 0
  get_request = wrk.format("GET")
end

function request()
  if method ~= "POST" then return get_request end
  counter = counter + 1
  local body = string.format(
    '{"name":"%s-t%d-%d","display_name":"Bench service","tier":3,"environments":["production"]}',
    prefix, tid, counter)
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non2xx":%d,"first_bad_status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, bad, first, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class Result:
    """One scenario's figures."""

    scenario: str
    database: str
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    first_bad_status: int
    server_cpu: float  # share of one core the server process used during the run

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


@dataclass
class Options:
    seconds: int  # wrk takes whole seconds
    warmup: int
    concurrency: int
    threads: int
    databases: list[str]
    pg_url: str


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="open connections (closed loop)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads; one leaves the most CPU to the server on a small machine",
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server where this may create and drop a database",
    )
    ns = parser.parse_args(argv)
    databases = [d.strip() for d in ns.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s) {sorted(unknown)}; use sqlite and/or postgresql")
    if ns.threads > ns.concurrency:
        parser.error("--threads must not exceed --concurrency")
    return Options(ns.seconds, ns.warmup, ns.concurrency, ns.threads, databases, ns.pg_url)


# --- databases ---------------------------------------------------------------------------------


def sqlite_database(workdir: Path) -> str:
    """A fresh SQLite file in the benchmark's temp directory (removed with it)."""
    return f"sqlite:///{workdir / 'guardrail-bench.db'}"


def postgres_database(stack: contextlib.ExitStack, admin_url: str) -> str:
    """A new database on ``admin_url``'s server, dropped when ``stack`` closes."""
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"guardrail_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    stack.callback(drop)
    return (
        make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    )


def prepare(url: str) -> str:
    """Migrate, bootstrap an admin token and seed services; returns the token's secret."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        db = Database(engine)
        with db.unit_of_work() as session:
            secret = identity.bootstrap_admin(session, None)
            actor = Actor.system("benchmark")
            for t in range(TEAMS):
                identity.create_team(session, actor, _team(t))
            for i in range(SERVICES):
                cmdb.create_service(session, actor, _service(i))
    finally:
        engine.dispose()
    if secret is None:
        raise RuntimeError("the fresh database already had a token")
    return secret


def _team(t: int) -> TeamCreate:
    return TeamCreate(slug=f"team-{t}", name=f"Team {t}")


def _service(i: int) -> ServiceCreate:
    return ServiceCreate(
        name=f"service-{i:03d}",
        display_name=f"Service {i}",
        description="Seeded by the benchmark.",
        owner_team=f"team-{i % TEAMS}",
        tier=1 + i % 4,
        runbook_url=f"https://runbooks.example.com/service-{i:03d}",
        environments=["production", "staging"],
    )


def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    stack: contextlib.ExitStack,
    factory: str,
    workdir: Path,
    env: dict[str, str],
    app_dir: Path | None = None,
    ready_path: str = "/healthz",
) -> tuple[str, int]:
    """Start uvicorn in its own process group; returns its base URL and pid once it answers."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if app_dir is not None:
        cmd += ["--app-dir", str(app_dir)]
    log_path = workdir / f"uvicorn-{port}.log"
    log = stack.enter_context(log_path.open("wb"))
    # Its own session: Ctrl-C reaches only this script, whose cleanup then stops the server.
    proc = subprocess.Popen(
        cmd,
        cwd=workdir,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.callback(stop, proc)
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, base + ready_path, log_path)
    return base, proc.pid


def wait_ready(
    proc: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {url} within {timeout:.0f}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started: SIGTERM to its process group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# --- load --------------------------------------------------------------------------------------


def wrk(opts: Options, script: Path, url: str, args: list[str], seconds: int) -> dict[str, int]:
    """Run wrk once and return the figures its Lua ``done`` printed."""
    cmd = [
        "wrk",
        f"-t{opts.threads}",
        f"-c{opts.concurrency}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *args,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            figures: dict[str, int] = json.loads(line[len(RESULT_TAG) :])
            return figures
    raise RuntimeError(f"wrk printed no result (exit {out.returncode}):\n{out.stdout}{out.stderr}")


def measure(
    opts: Options,
    script: Path,
    scenario: str,
    database: str,
    url: str,
    method: str,
    token: str,
    server_pid: int,
) -> Result:
    """Warm up, then measure one scenario."""
    run_args = [method, token or "-"]
    if opts.warmup > 0:
        wrk(opts, script, url, [*run_args, f"warm-{uuid.uuid4().hex[:6]}"], opts.warmup)
    cpu_before, started = cpu_seconds(server_pid), time.monotonic()
    f = wrk(opts, script, url, [*run_args, f"bench-{uuid.uuid4().hex[:6]}"], opts.seconds)
    cpu = (cpu_seconds(server_pid) - cpu_before) / (time.monotonic() - started)
    result = Result(
        scenario=scenario,
        database=database,
        rps=f["requests"] / (f["duration_us"] / 1e6),
        p50_ms=f["p50_us"] / 1000,
        p99_ms=f["p99_us"] / 1000,
        non2xx=f["non2xx"],
        socket_errors=f["connect"] + f["read"] + f["write"] + f["timeout"],
        first_bad_status=f["first_bad_status"],
        server_cpu=cpu,
    )
    print(
        f"  {scenario:<30} {database:<10} {result.rps:>9.1f} req/s  "
        f"p50 {result.p50_ms:.1f} ms  p99 {result.p99_ms:.1f} ms  errors {result.errors}",
        flush=True,
    )
    return result


def bench_database(
    opts: Options, workdir: Path, script: Path, name: str
) -> tuple[list[Result], str]:
    """Build, serve and load one database; returns its results and its server version."""
    with contextlib.ExitStack() as local:
        if name == "sqlite":
            url = sqlite_database(workdir)
        else:
            url = postgres_database(local, opts.pg_url)
        token = prepare(url)
        base, pid = serve(
            local,
            "guardrail.api.app:create_app",
            workdir,
            {"GUARDRAIL_DATABASE_URL": url, "GUARDRAIL_LOG_LEVEL": "WARNING"},
        )
        endpoint = base + "/api/v1/services"
        results = [
            # guardrail's own stack (middleware, routing) without auth or the database, to tell
            # framework cost from database cost.
            measure(
                opts,
                script,
                "GET /healthz (no auth, no DB)",
                name,
                base + "/healthz",
                "GET",
                "",
                pid,
            ),
            measure(opts, script, "GET /api/v1/services", name, endpoint, "GET", token, pid),
            measure(opts, script, "POST /api/v1/services", name, endpoint, "POST", token, pid),
        ]
        return results, database_version(url)


def bench_hello(opts: Options, workdir: Path, script: Path, label: str) -> Result:
    with contextlib.ExitStack() as local:
        base, pid = serve(
            local, "_hello_app:create_app", workdir, {}, app_dir=HERE, ready_path="/hello"
        )
        return measure(
            opts, script, f"hello-world GET ({label})", "-", base + "/hello", "GET", "", pid
        )


# --- report ------------------------------------------------------------------------------------


def machine_facts(opts: Options) -> list[str]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "absent"

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return [
        f"cpu cores: {os.cpu_count()} ({platform.machine()}, {platform.processor() or 'n/a'})",
        f"python: {platform.python_version()} ({platform.python_implementation()})",
        "packages: "
        + ", ".join(
            f"{d} {version(d)}"
            for d in ("fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy", "psycopg")
        ),
        f"uvicorn: 1 worker, loop {loop}, http {http}, access log off, log level warning",
        f"load: {wrk_version.splitlines()[0] if wrk_version else 'wrk'}; {opts.threads} thread(s), "
        f"{opts.concurrency} connections, {opts.warmup:g}s warm-up + {opts.seconds:g}s per "
        "scenario, closed loop, on the same machine as the server",
    ]


def report(
    results: list[Result], hello: list[Result], facts: list[str], versions: list[str]
) -> int:
    baseline = sum(r.rps for r in hello) / len(hello)
    print("\nMachine")
    for line in [*facts, *versions]:
        print(f"  {line}")
    header = (
        f"{'scenario':<31}{'database':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'srv cpu':>9}{'vs hello':>10}"
    )
    print(f"\nResults (ratio = req/s / hello-world mean {baseline:.1f} req/s)")
    print(header)
    print("-" * len(header))
    for r in [*hello, *results]:
        print(
            f"{r.scenario:<31}{r.database:<12}{r.rps:>9.1f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{r.errors:>8}{r.server_cpu:>8.0%} {r.rps / baseline:>9.3f}"
        )
    bad = [r for r in [*hello, *results] if r.errors]
    for r in bad:
        print(
            f"INVALID: {r.scenario} on {r.database}: {r.non2xx} non-2xx (first status "
            f"{r.first_bad_status}), {r.socket_errors} socket errors; its figures do not count"
        )
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed; install it (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    # SIGTERM unwinds like Ctrl-C, so the servers and databases are cleaned up either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="guardrail-bench-")))
        script = workdir / "bench.lua"
        script.write_text(WRK_LUA)
        facts = machine_facts(opts)
        load_before = os.getloadavg()[0]
        print("Measuring", flush=True)
        hello = [bench_hello(opts, workdir, script, "first")]
        results, versions = [], []
        for name in opts.databases:
            rows, version = bench_database(opts, workdir, script, name)
            results += rows
            versions.append(f"{name}: {version}")
        hello.append(bench_hello(opts, workdir, script, "last"))
        # Other work on the machine skews every figure; the load average shows whether there was.
        facts.append(
            f"load average (1 min) before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f}"
        )
        return report(results, hello, facts, versions)
    return 1  # not reached; keeps type checkers sure every path returns


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped and temporary databases removed", file=sys.stderr)
        sys.exit(130)
