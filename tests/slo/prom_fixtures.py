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


class Target:
    """An exposition endpoint: each scrape counts 100 requests, ``ratio`` of them failed."""

    def __init__(self) -> None:
        self.ratio = 0.0
        self.ok = 0
        self.errors = 0
        self.lock = threading.Lock()

    def scrape(self) -> bytes:
        with self.lock:
            bad = round(100 * self.ratio)
            self.errors += bad
            self.ok += 100 - bad
            body = (
                "# HELP http_requests_total Requests served.\n"
                "# TYPE http_requests_total counter\n"
                f'http_requests_total{{code="200"}} {self.ok}\n'
                f'http_requests_total{{code="500"}} {self.errors}\n'
            )
        return body.encode()


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
def run_prometheus(tmp: Path, target_port: int, rules: Path | None) -> Iterator[str]:
    """Start Prometheus on a loopback port (1s scrape and rule interval); yield its URL."""
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
