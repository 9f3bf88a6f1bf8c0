"""`guardrail worker` and `guardrail jobs`."""

from __future__ import annotations

import json
import signal

import pytest
import typer
from typer.testing import CliRunner

from guardrail.cli.jobs import register
from guardrail.store.outbox import JobStatus, enqueue


@pytest.fixture
def jobs_cli(settings):  # the settings fixture points GUARDRAIL_DATABASE_URL at the test db
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def _listed(jobs_cli, *args: str) -> list[dict]:
    result = jobs_cli("jobs", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_selftest_then_worker_until_empty(jobs_cli, tick_counts):
    before = signal.getsignal(signal.SIGTERM)
    result = jobs_cli("jobs", "selftest", "25")
    assert result.exit_code == 0, result.output
    assert "enqueued 25 selftest.tick jobs" in result.stdout
    assert {j["status"] for j in _listed(jobs_cli)} == {"queued"}

    result = jobs_cli("worker", "--until-empty", "--concurrency", "2")
    assert result.exit_code == 0, result.output
    assert "worker ran 25 jobs" in result.stderr
    jobs = _listed(jobs_cli, "--status", "done", "--kind", "selftest.tick")
    assert len(jobs) == 25
    assert tick_counts() == {j["id"]: 1 for j in jobs}
    assert signal.getsignal(signal.SIGTERM) == before


def test_dead_job_is_listed_with_its_error_and_can_be_retried(jobs_cli, db, job):
    with db.unit_of_work() as session:
        job_id = enqueue(session, "nope.kind", {}, max_attempts=1).id  # type: ignore[union-attr]
    assert jobs_cli("worker", "--until-empty").exit_code == 0

    [dead] = _listed(jobs_cli, "--status", "dead")
    assert dead["id"] == job_id and dead["attempts"] == 1
    assert "no handler is registered for job kind 'nope.kind'" in dead["last_error"]
    table = jobs_cli("jobs", "list", "--status", "dead")
    assert table.exit_code == 0
    assert (
        "LAST_ERROR" in table.stdout and job_id in table.stdout and "UnknownJobKind" in table.stdout
    )
    assert len(table.stdout.splitlines()[1]) < 250  # long errors are cut in the table

    result = jobs_cli("jobs", "retry", job_id)
    assert result.exit_code == 0, result.output
    again = job(job_id)
    assert (again.status, again.attempts) == (JobStatus.queued, 0)
    assert again.last_error is not None  # the previous error stays visible


def test_retry_refuses_unknown_and_live_jobs(jobs_cli, db):
    result = jobs_cli("jobs", "retry", "job_nothere")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: no job job_nothere; list them with `guardrail jobs list`"
    )
    with db.unit_of_work() as session:
        job_id = enqueue(session, "nope.kind", {}).id  # type: ignore[union-attr]
    result = jobs_cli("jobs", "retry", job_id)
    assert result.exit_code == 2
    assert "is queued; only dead jobs can be retried" in result.stderr


def test_retry_is_audited(jobs_cli, db):
    from guardrail.audit import service as audit

    with db.unit_of_work() as session:
        job_id = enqueue(session, "nope.kind", {}, max_attempts=1).id  # type: ignore[union-attr]
    jobs_cli("worker", "--until-empty")
    jobs_cli("jobs", "retry", job_id)
    with db.reader() as session:
        events, _ = audit.list_events(
            session, object_id=job_id, action="job.retry", limit=5, offset=0
        )
        seen = [(e.actor, e.before, e.after) for e in events]
    assert seen == [("cli", {"status": "dead", "attempts": 1}, {"status": "queued", "attempts": 0})]


def test_bad_input_is_one_line_and_exit_2(jobs_cli):
    result = jobs_cli("jobs", "selftest", "0")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: the number of selftest jobs")
    assert jobs_cli("jobs", "list", "--status", "sleeping").exit_code == 2
    result = jobs_cli("worker", "--log-format", "xml")
    assert result.exit_code == 2


def test_empty_list(jobs_cli):
    result = jobs_cli("jobs", "list")
    assert result.exit_code == 0
    assert result.stdout.strip() == "(none)"
    assert _listed(jobs_cli) == []
