"""A real Prometheus for the tests, scraping a target whose error ratio the test sets."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

INSTALL = "install the Debian package `prometheus` (apt-get install -y prometheus)"


def require_binary(name: str) -> str:
    """The binary's path; a clear failure (not a skip) when it is missing."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        raise AssertionError(f"{name} is required by this test and was not found: {INSTALL}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0)


class Target:
    """An exposition endpoint: each scrape counts 100 requests, ``ratio`` of them failed, each
    taking ``latency`` seconds (a histogram, for threshold SLIs such as p99 latency)."""

    def __init__(self) -> None:
        self.ratio = 0.0
        self.latency = 0.02
        self.ok = 0
        self.errors = 0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.latency_sum = 0.0
        self.lock = threading.Lock()

    def scrape(self) -> bytes:
        with self.lock:
            bad = round(100 * self.ratio)
            self.errors += bad
            self.ok += 100 - bad
            self._observe(100)
            body = (
                "# HELP http_requests_total Requests served.\n"
                "# TYPE http_requests_total counter\n"
                f'http_requests_total{{code="200"}} {self.ok}\n'
                f'http_requests_total{{code="500"}} {self.errors}\n' + self._histogram()
            )
        return body.encode()

    def _observe(self, count: int) -> None:
        for index, bound in enumerate((*LATENCY_BUCKETS, float("inf"))):
            if self.latency <= bound:
                self.buckets[index] += count
        self.latency_sum += count * self.latency

    def _histogram(self) -> str:
        name = "http_request_duration_seconds"
        lines = [f"# HELP {name} Request latency.", f"# TYPE {name} histogram"]
        for bound, count in zip((*LATENCY_BUCKETS, "+Inf"), self.buckets, strict=True):
            lines.append(f'{name}_bucket{{le="{bound}"}} {count}')
        lines += [f"{name}_sum {self.latency_sum}", f"{name}_count {self.buckets[-1]}"]
        return "\n".join(lines) + "\n"


@contextmanager
def serve_target(target: Target) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = target.scrape()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def run_prometheus(
    tmp: Path, target_port: int, rules: Path | None, extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Start Prometheus on a loopback port (1s scrape and rule interval); yield its URL.
    ``extra_args`` go to the command line (e.g. a longer retention for backfilled blocks)."""
    binary = require_binary("prometheus")
    port = free_port()
    config = tmp / "prometheus.yml"
    rule_files = f"rule_files: ['{rules}']\n" if rules else ""
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        + rule_files
        + "scrape_configs:\n  - job_name: checkout\n"
        + f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
    )
    log = (tmp / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            *extra_args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, tmp / "prometheus.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("prometheus did not become ready in 30s")


def query(url: str, expr: str, at: float | None = None) -> list[dict[str, object]]:
    params: dict[str, object] = {"query": expr}
    if at is not None:
        params["time"] = at
    body = httpx.get(f"{url}/api/v1/query", params=params, timeout=5).json()
    assert body["status"] == "success", body
    return body["data"]["result"]  # type: ignore[no-any-return]


def wait_for(predicate, timeout: float = 60.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    """Poll until ``predicate()`` returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


def query_range(url: str, expr: str, start: float, end: float, step: int) -> list[float]:
    """The values of a one-series expression from Prometheus' own ``query_range`` answer."""
    params = {"query": expr, "start": start, "end": end, "step": step}
    body = httpx.get(f"{url}/api/v1/query_range", params=params, timeout=10).json()
    assert body["status"] == "success", body
    result = body["data"]["result"]
    assert len(result) <= 1, result
    return [float(v) for _, v in result[0]["values"]] if result else []


def backfill(tmp: Path, series: dict[str, list[tuple[float, float]]]) -> None:
    """Write counter samples ({labels: [(unix time, value)]}, one family) into TSDB blocks under
    ``tmp / "data"`` with promtool, where ``run_prometheus`` keeps its storage."""
    promtool = require_binary("promtool")
    lines = ["# HELP http_requests Requests served.", "# TYPE http_requests counter"]
    for labels, samples in series.items():
        lines += [f"http_requests_total{{{labels}}} {value} {at:.0f}" for at, value in samples]
    source = tmp / "backfill.om"
    source.write_text("\n".join([*lines, "# EOF"]) + "\n")
    done = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "-q",
            str(source),
            str(tmp / "data"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
