"""Gate decisions per second and latency: guardrails with CEL, one Rego step, risk scoring,
persistence and audit, over HTTP, on SQLite and PostgreSQL, at concurrency 1 and 32.

Run on demand (not a test; it prints figures and asserts nothing about them):

    .venv/bin/python benchmarks/changes_gate.py [--seconds 10] [--warmup 2]
        [--concurrency 1,32] [--databases sqlite,postgresql]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--workers 1] [--skip-policy]

For each database it builds a fresh, migrated database with services, people and tokens, applies
the guardrails below as the organisation default, serves ``guardrail.api.app:create_app`` with
uvicorn (one process, or ``--workers`` processes), and loads ``POST /api/v1/changes`` with wrk:
every request is a new change (a unique idempotency key) carrying a JUnit report and a
``git diff --numstat``, so each one is a full decision: CMDB and history lookups, risk scoring,
the CEL conditions, the Rego step, the insert of the change and its evidence, and two audit
events. It also times the policy evaluation alone (no database, no HTTP) in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_throughput import (  # noqa: E402  (a sibling script, not a package)
    cpu_seconds,
    free_port,
    postgres_database,
    sqlite_database,
    stop,
    wait_ready,
)

from guardrail.changes import evidence as evidence_module  # noqa: E402
from guardrail.changes.policy import document, engine  # noqa: E402
from guardrail.changes.schemas import PolicyApply  # noqa: E402
from guardrail.cmdb import service as cmdb  # noqa: E402
from guardrail.cmdb.schemas import ServiceCreate  # noqa: E402
from guardrail.identity import service as identity  # noqa: E402
from guardrail.identity.enums import Role  # noqa: E402
from guardrail.identity.schemas import TokenCreate  # noqa: E402
from guardrail.kit.context import Actor  # noqa: E402
from guardrail.store import migrate  # noqa: E402
from guardrail.store.engine import make_engine  # noqa: E402
from guardrail.store.session import Database  # noqa: E402

RESULT_TAG = "BENCH_RESULT "
GUARDRAILS = """\
- step: static_security_scan
- step: rego
  file: deploy.rego
- step: tests_passed
  if: change.environment == 'production'
- step: compliance_check
  if: change.risk == 'low' && evidence.diff.lines < 500
  on_pass: auto_approve
- step: manual_security_review
  if: change.risk in ['high','critical']
"""
REGO = """package deploy
import rego.v1

deny contains msg if {
    some path in input.evidence.diff.paths
    startswith(path, "db/migrations/")
    not input.change.links.ticket
    msg := sprintf("%s changes the schema; link a ticket", [path])
}
"""
JUNIT = (
    '<testsuite name="unit" tests="3"><testcase classname="t" name="a"/>'
    '<testcase classname="t" name="b"/><testcase classname="t" name="c"/></testsuite>'
)
NUMSTAT = "12\t3\tsrc/search.py\n20\t1\ttests/test_search.py\n"

WRK_LUA = r"""
local threads = {}
local next_tid = 0
function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  prefix = args[2]
  local f = io.open(args[3], "r"); template = f:read("*a"); f:close()
  counter, non2xx, first_bad = 0, 0, 0
end
function request()
  counter = counter + 1
  local body = string.gsub(template, "__KEY__", string.format("%s-%d-%d", prefix, tid, counter))
  return wrk.format("POST", nil, nil, body)
end
function response(status, headers, body)
  if status ~= 201 then
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
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,' ..
    '"first_bad":%d,"socket_errors":%d}\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), bad, first,
    e.connect + e.read + e.write + e.timeout))
end
"""


def prepare(url: str) -> str:
    """Migrate, seed services and the guardrails, and return a pipeline token's secret."""
    engine_ = make_engine(url)
    try:
        migrate.upgrade(engine_)
        db = Database(engine_)
        actor = Actor.system("benchmark")
        with db.unit_of_work() as session:
            for i in range(20):
                cmdb.create_service(session, actor, ServiceCreate(name=f"svc-{i}", tier=3))
            from guardrail.changes import policies

            policies.apply(
                session,
                actor,
                PolicyApply(default=True, source=GUARDRAILS, modules={"deploy.rego": REGO}),
            )
            _, secret = identity.create_token(
                session, actor, TokenCreate(name="bench pipeline", role=Role.pipeline)
            )
    finally:
        engine_.dispose()
    return secret


def body_file(workdir: Path) -> Path:
    body = {
        "service": "svc-3",
        "environment": "production",
        "commit": "abc123",
        "idempotency_key": "__KEY__",
        "evidence": [
            {"name": "junit.xml", "content": JUNIT},
            {"name": "diff.numstat", "content": NUMSTAT},
        ],
    }
    path = workdir / "gate-body.json"
    path.write_text(json.dumps(body))
    return path


def run_wrk(
    script: Path, url: str, concurrency: int, seconds: int, token: str, body: Path
) -> dict[str, int]:
    cmd = [
        "wrk",
        f"-t{min(concurrency, 2)}",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"{url}/api/v1/changes",
        "--",
        token,
        f"k{uuid.uuid4().hex[:8]}",
        str(body),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            figures: dict[str, int] = json.loads(line[len(RESULT_TAG) :])
            return figures
    raise RuntimeError(f"wrk printed no result:\n{out.stdout}{out.stderr}")


def serve(
    stack: contextlib.ExitStack, workdir: Path, env: dict[str, str], workers: int
) -> tuple[str, int]:
    """uvicorn with ``workers`` processes (each builds the app: --factory); base URL and pid."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "guardrail.api.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    log_path = workdir / f"uvicorn-{port}.log"
    log = stack.enter_context(log_path.open("wb"))
    proc = subprocess.Popen(
        cmd, cwd=workdir, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    stack.callback(stop, proc)
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, base + "/healthz", log_path)
    if workers > 1:
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(4 * workers):  # every worker answers before the clock starts
            wait_ready(proc, base + "/healthz", log_path)
    return base, proc.pid


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def server_cpu(pid: int) -> float:
    """CPU seconds of the server: its process and its live worker processes."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in _children(pid))


def bench_database(name: str, args: argparse.Namespace, workdir: Path, script: Path) -> None:
    with contextlib.ExitStack() as stack:
        url = (
            sqlite_database(workdir) if name == "sqlite" else postgres_database(stack, args.pg_url)
        )
        token = prepare(url)
        env = {"GUARDRAIL_DATABASE_URL": url, "GUARDRAIL_LOG_LEVEL": "WARNING"}
        base, pid = serve(stack, workdir, env, args.workers)
        body = body_file(workdir)
        for concurrency in args.concurrency:
            if args.warmup:
                run_wrk(script, base, concurrency, args.warmup, token, body)
            cpu0, t0 = server_cpu(pid), time.monotonic()
            f = run_wrk(script, base, concurrency, args.seconds, token, body)
            cpu = (server_cpu(pid) - cpu0) / (time.monotonic() - t0)
            rps = f["requests"] / (f["duration_us"] / 1e6)
            bad = f["non2xx"] + f["socket_errors"]
            flag = f"  INVALID: {bad} errors (first status {f['first_bad']})" if bad else ""
            print(
                f"  gate  {name:<10} w={args.workers} c={concurrency:<3} {rps:>7.1f} decisions/s  "
                f"p50 {f['p50_us'] / 1000:6.1f} ms  p99 {f['p99_us'] / 1000:6.1f} ms  "
                f"server cpu {cpu:4.0%} ({1000 * cpu / rps if rps else 0:.1f} ms/decision){flag}",
                flush=True,
            )


def bench_policy(n: int = 2000) -> None:
    """The guardrails evaluation alone: compiled once, then run on one change's facts."""
    parsed = document.parse(GUARDRAILS, {"deploy.rego": REGO})
    policy = engine.compile_policy(parsed, document.digest(parsed))
    items = [evidence_module.recognise("j.xml", JUNIT), evidence_module.recognise("d", NUMSTAT)]
    evidence = evidence_module.combine([(p.kind, p.name, p.summary) for p in items])
    facts = engine.Facts(
        change={"type": "normal", "environment": "production", "risk": "low", "links": {}},
        service={"name": "svc-3", "tier": 3},
        risk={"level": "low", "score": 10},
        evidence=evidence,
        calendar={"frozen": False, "active": []},
        budget=lambda: {"state": "no_slo", "allowed": True, "reason": "no SLO"},
    )
    times = []
    for _ in range(n):
        start = time.perf_counter()
        result = engine.evaluate(policy, facts, lambda r: engine.Granted())
        times.append(time.perf_counter() - start)
    assert result.decision == "approved", result.reasons
    times.sort()
    print(
        f"  policy evaluation alone (5 steps, CEL + Rego): median "
        f"{statistics.median(times) * 1e6:.0f} µs, p99 {times[int(n * 0.99)] * 1e6:.0f} µs "
        f"({n} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--concurrency", default="1,32", type=lambda s: [int(x) for x in s.split(",")]
    )
    parser.add_argument("--databases", default="sqlite,postgresql", type=lambda s: s.split(","))
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--skip-policy", action="store_true", help="skip the in-process timing")
    args = parser.parse_args()

    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load {_load()}")
    if not args.skip_policy:
        bench_policy()
    with tempfile.TemporaryDirectory(prefix="guardrail-gate-bench-") as tmp:
        workdir = Path(tmp)
        script = workdir / "gate.lua"
        script.write_text(WRK_LUA)
        for name in args.databases:
            bench_database(name, args, workdir, script)
    print(f"load average after: {_load()}")
    return 0


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
