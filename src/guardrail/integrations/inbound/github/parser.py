"""GitHub payloads -> delivery facts (see source.MAPPING)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from guardrail.integrations.inbound.core.payload import dig, json_body, parse_time, text
from guardrail.releases.facts import (
    CommitFact,
    DeploymentFact,
    Fact,
    PipelineFact,
    PullRequestFact,
    PushFact,
    ReleaseFact,
)

ZERO_SHA = "0" * 40
# GitHub deployment_status.state -> guardrail status; "inactive" (superseded) changes nothing.
STATES = {
    "success": "success",
    "failure": "failed",
    "error": "failed",
    "pending": "pending",
    "queued": "pending",
    "in_progress": "running",
}


def load(body: bytes) -> dict[str, Any]:
    """The payload, sent as application/json or as the form field ``payload``."""
    if body.startswith(b"payload="):
        values = parse_qs(body.decode("utf-8")).get("payload", ["{}"])
        return json_body(values[0].encode())
    return json_body(body)


def parse(event_type: str, body: bytes) -> list[Fact]:
    """The facts in one GitHub delivery; an event guardrail does not use gives none."""
    fn = _PARSERS.get(event_type)
    return fn(load(body)) if fn else []


def _repo(data: dict[str, Any]) -> str:
    return text(dig(data, "repository", "full_name"), 200)


def _commit(raw: dict[str, Any], repository: str, branch: str | None) -> CommitFact:
    author = raw.get("author") or {}
    when = parse_time(raw.get("timestamp"))
    return CommitFact(
        sha=text(raw.get("id"), 40),
        repository=repository,
        message=text(raw.get("message")),
        author_name=text(author.get("name"), 200),
        author_email=text(author.get("email"), 200),
        authored_at=when,
        committed_at=when,
        branch=branch,
    )


def push(data: dict[str, Any]) -> list[Fact]:
    ref = text(data.get("ref"), 300)
    if data.get("deleted") or not ref.startswith("refs/heads/"):
        return []  # a branch deletion or a tag: no commits reach a branch
    repository, branch = _repo(data), ref.removeprefix("refs/heads/")
    before = data.get("before")
    commits = [_commit(c, repository, branch) for c in data.get("commits") or [] if c.get("id")]
    return [
        PushFact(
            repository=repository,
            branch=branch,
            before=None if before in (None, ZERO_SHA) else text(before, 40),
            after=text(data.get("after"), 40) or None,
            commits=commits,
        )
    ]


def pull_request(data: dict[str, Any]) -> list[Fact]:
    pr = data.get("pull_request") or {}
    repository = _repo(data)
    merged = bool(pr.get("merged")) and pr.get("merged_at") is not None
    state = "merged" if merged else text(pr.get("state"), 20) or "open"
    return [
        PullRequestFact(
            key=f"github:{repository}#{pr.get('number')}",
            repository=repository,
            number=pr.get("number"),
            title=text(pr.get("title"), 500),
            state=state,
            head_ref=text(dig(pr, "head", "ref"), 200),
            head_sha=text(dig(pr, "head", "sha"), 40) or None,
            merge_sha=text(pr.get("merge_commit_sha"), 40) or None if merged else None,
            author=text(dig(pr, "user", "login"), 200),
            opened_at=parse_time(pr.get("created_at")),
            merged_at=parse_time(pr.get("merged_at")) if merged else None,
            closed_at=parse_time(pr.get("closed_at")),
            url=text(pr.get("html_url"), 2000) or None,
        )
    ]


def _deployment(data: dict[str, Any], deployment: dict[str, Any]) -> DeploymentFact:
    repository = _repo(data)
    raw_extra = deployment.get("payload")
    extra: dict[str, Any] = raw_extra if isinstance(raw_extra, dict) else {}
    return DeploymentFact(
        key=f"github:{repository}:{deployment.get('id')}",
        source="github",
        environment=text(deployment.get("environment"), 63) or "production",
        service=text(extra.get("service"), 63) or None,
        repository=repository,
        version=text(extra.get("version") or deployment.get("ref"), 200),
        sha=text(deployment.get("sha"), 40) or None,
        ref=text(deployment.get("ref"), 200),
        started_at=parse_time(deployment.get("created_at")),
        strategy=text(extra.get("strategy"), 20) or None,
        change_id=text(extra.get("change_id"), 40) or None,
        url=text(deployment.get("url"), 2000) or None,
    )


def deployment(data: dict[str, Any]) -> list[Fact]:
    fact = _deployment(data, data.get("deployment") or {})
    fact.status, fact.status_at = "pending", fact.started_at
    return [fact]


def deployment_status(data: dict[str, Any]) -> list[Fact]:
    status = data.get("deployment_status") or {}
    fact = _deployment(data, data.get("deployment") or {})
    fact.status = STATES.get(text(status.get("state"), 20))
    fact.status_at = parse_time(status.get("updated_at") or status.get("created_at"))
    if fact.status in {"success", "failed"}:
        fact.finished_at = fact.status_at
    fact.url = text(status.get("target_url") or status.get("log_url"), 2000) or fact.url
    return [fact]


def _head_commit(raw: Any, repository: str, branch: str) -> CommitFact | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        return None
    commit = _commit(raw, repository, None)
    commit.branch = branch if branch else None
    return commit


def workflow_run(data: dict[str, Any]) -> list[Fact]:
    run = data.get("workflow_run") or {}
    repository = _repo(data)
    branch = text(run.get("head_branch"), 200)
    return [
        PipelineFact(
            key=f"github:{repository}:run:{run.get('id')}:{run.get('run_attempt') or 1}",
            provider="github",
            repository=repository,
            name=text(run.get("name") or dig(data, "workflow", "name"), 300),
            sha=text(run.get("head_sha"), 40) or None,
            ref=branch,
            status=text(run.get("status"), 30),
            conclusion=text(run.get("conclusion"), 30) or None,
            started_at=parse_time(run.get("run_started_at") or run.get("created_at")),
            finished_at=parse_time(run.get("updated_at"))
            if run.get("status") == "completed"
            else None,
            url=text(run.get("html_url"), 2000) or None,
            head_commit=_head_commit(run.get("head_commit"), repository, ""),
        )
    ]


def check_suite(data: dict[str, Any]) -> list[Fact]:
    suite = data.get("check_suite") or {}
    repository = _repo(data)
    return [
        PipelineFact(
            key=f"github:{repository}:check_suite:{suite.get('id')}",
            provider="github",
            repository=repository,
            name=text(dig(suite, "app", "name") or "check suite", 300),
            sha=text(suite.get("head_sha"), 40) or None,
            ref=text(suite.get("head_branch"), 200),
            status=text(suite.get("status"), 30),
            conclusion=text(suite.get("conclusion"), 30) or None,
            started_at=parse_time(suite.get("created_at")),
            finished_at=parse_time(suite.get("updated_at"))
            if suite.get("status") == "completed"
            else None,
            url=text(suite.get("url"), 2000) or None,
            head_commit=_head_commit(suite.get("head_commit"), repository, ""),
        )
    ]


def release(data: dict[str, Any]) -> list[Fact]:
    rel = data.get("release") or {}
    if data.get("action") not in {"published", "created", "released", "edited", "prereleased"}:
        return []
    repository = _repo(data)
    return [
        ReleaseFact(
            key=f"github:{repository}:release:{rel.get('id')}",
            repository=repository,
            tag=text(rel.get("tag_name"), 200),
            name=text(rel.get("name"), 300),
            body=text(rel.get("body"), 20000),
            published_at=parse_time(rel.get("published_at") or rel.get("created_at")),
            url=text(rel.get("html_url"), 2000) or None,
        )
    ]


_PARSERS: dict[str, Callable[[dict[str, Any]], list[Fact]]] = {
    "push": push,
    "pull_request": pull_request,
    "deployment": deployment,
    "deployment_status": deployment_status,
    "workflow_run": workflow_run,
    "check_suite": check_suite,
    "release": release,
}
