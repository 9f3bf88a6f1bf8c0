"""SIGTERM/SIGINT stop the worker after the job in progress."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from guardrail.kit.context import Actor
from guardrail.store.outbox import JobStatus
from guardrail.worker import selftest
from guardrail.worker.runner import install_signal_handlers


def test_first_signal_asks_for_a_stop_and_a_second_forces_it():
    stop = threading.Event()
    before = signal.getsignal(signal.SIGTERM)
    restore = install_signal_handlers(stop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) == before


def test_worker_process_exits_cleanly_on_sigterm(db, settings, job):
    with db.unit_of_work() as session:
        [job_id] = selftest.enqueue_ticks(session, Actor.system("tests"), 1)
    env = {**os.environ, "GUARDRAIL_WORKER_POLL_SECONDS": "0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardrail", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # waits for the condition; asserts nothing about time
        while job(job_id).status != JobStatus.done and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert job(job_id).status == JobStatus.done
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert "received SIGTERM" in stderr
    # The practices' periodic jobs also run in a real worker process, so count at least ours.
    ran = re.search(r"worker ran (\d+) jobs", stderr)
    assert ran and int(ran.group(1)) >= 1, stderr
