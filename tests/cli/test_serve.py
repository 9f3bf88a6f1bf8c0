"""`guardrail serve` and `guardrail demo` as real processes: migrate, bootstrap, serve, stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx

TOKEN = re.compile(r"(grd_[A-Za-z0-9_-]{20,})")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _running(args: list[str], database_url: str, **env: str) -> Iterator[tuple[str, list[str]]]:
    port = _free_port()
    environment = {**os.environ, "GUARDRAIL_DATABASE_URL": database_url, **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardrail", *args, "--port", str(port)],
        env=environment,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=_collect, args=(proc, lines), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base, lines)
        yield base, lines
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        reader.join(timeout=5)


def _collect(proc: subprocess.Popen[str], lines: list[str]) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))


def _wait_ready(proc: subprocess.Popen[str], base: str, lines: list[str]) -> None:
    deadline = time.monotonic() + 600  # waits for readiness; asserts nothing about speed
    while time.monotonic() < deadline:
        assert proc.poll() is None, "\n".join(lines)
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                time.sleep(0.2)  # let the banner printed before startup reach the reader
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not become ready:\n" + "\n".join(lines))


def _token(lines: list[str]) -> str:
    found = [m.group(1) for line in lines if (m := TOKEN.search(line))]
    assert found, "\n".join(lines)
    return found[0]


def test_serve_migrates_bootstraps_once_and_logs_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with _running(["serve", "--log-format", "json"], url) as (base, lines):
        token = _token(lines)
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "admin"
        httpx.get(f"{base}/healthz")
    logs = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(entry.get("request_id") and entry["logger"] == "guardrail.access" for entry in logs)
    with _running(["serve"], url) as (_, second):
        pass
    assert not any(TOKEN.search(line) for line in second), "the token is shown only once"


def test_serve_installs_the_bootstrap_token(tmp_path):
    secret = "grd_" + "b" * 40
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with _running(["serve"], url, GUARDRAIL_BOOTSTRAP_TOKEN=secret) as (base, lines):
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200
    assert not any(TOKEN.search(line) for line in lines)


def test_demo_seeds_and_prints_one_sign_in_token(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with _running(["demo"], url) as (base, lines):
        tokens = {m.group(1) for line in lines if (m := TOKEN.search(line))}
        assert len(tokens) == 1
        headers = {"Authorization": f"Bearer {tokens.pop()}"}
        services = httpx.get(f"{base}/api/v1/services", headers=headers).json()
        assert services["total"] == 8
        teams = httpx.get(f"{base}/api/v1/teams", headers=headers).json()
        assert {t["slug"] for t in teams} == {"payments", "storefront", "platform"}


def test_serve_with_several_processes_shares_one_database(tmp_path):
    secret = "grd_" + "p" * 40
    url = f"sqlite:///{tmp_path / 'g.db'}"
    args = ["serve", "--processes", "2"]
    with _running(args, url, GUARDRAIL_BOOTSTRAP_TOKEN=secret) as (base, lines):
        headers = {"Authorization": f"Bearer {secret}"}

        def create(n: int) -> int:
            body = {"name": f"svc-{n}", "tier": 2}
            # A generous timeout: each process's first request may wait for its start-up work
            # (the OpenAPI document) on a loaded 2-core CI machine; a stall still fails.
            answer = httpx.post(f"{base}/api/v1/services", json=body, headers=headers, timeout=30)
            return answer.status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(create, range(40)))
        assert codes == [201] * 40, codes
        listed = httpx.get(f"{base}/api/v1/services?limit=100", headers=headers).json()
        assert listed["total"] == 40
        again = httpx.post(f"{base}/api/v1/services", json={"name": "svc-1"}, headers=headers)
        assert again.status_code == 409, "every process sees the others' rows"
    assert any("2 server processes" in line for line in lines), "\n".join(lines)
    started = {line for line in lines if "Started server process" in line}
    assert len(started) == 2, "\n".join(lines)
