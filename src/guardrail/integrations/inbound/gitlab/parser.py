"""GitLab payloads -> delivery facts (see source.MAPPING)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guardrail.integrations.inbound.core.payload import dig, json_body, parse_time, text
from guardrail.releases.facts import (
    CommitFact,
    DeploymentFact,
    Fact,
    PipelineFact,
    PullRequestFact,
    PushFact,
)

ZERO_SHA = "0" * 40
STATUSES = {
    "success": "success",
    "failed": "failed",
    "canceled": "cancelled",
    "running": "running",
    "created": "pending",
}


def parse(event_type: str, body: bytes) -> list[Fact]:
    """The facts in one GitLab delivery; an event guardrail does not use gives none."""
    fn = _PARSERS.get(event_type)
    return fn(json_body(body)) if fn else []


def _repo(data: dict[str, Any]) -> str:
    return text(dig(data, "project", "path_with_namespace"), 200)


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
    after = text(data.get("after"), 40)
    if after == ZERO_SHA or not ref.startswith("refs/heads/"):
        return []
    repository, branch = _repo(data), ref.removeprefix("refs/heads/")
    before = text(data.get("before"), 40)
    commits = [_commit(c, repository, branch) for c in data.get("commits") or [] if c.get("id")]
    # GitLab lists commits newest first in some versions: order them by time, oldest first.
    commits.sort(key=lambda c: (c.committed_at is None, c.committed_at))
    return [
        PushFact(
            repository=repository,
            branch=branch,
            before=None if before in ("", ZERO_SHA) else before,
            after=after or None,
            commits=commits,
        )
    ]


def merge_request(data: dict[str, Any]) -> list[Fact]:
    mr = data.get("object_attributes") or {}
    repository = text(dig(mr, "target", "path_with_namespace"), 200) or _repo(data)
    merged = mr.get("action") == "merge" or mr.get("state") == "merged"
    merged_at = parse_time(mr.get("merged_at") or mr.get("updated_at")) if merged else None
    last = mr.get("last_commit") or {}
    return [
        PullRequestFact(
            key=f"gitlab:{repository}!{mr.get('iid')}",
            repository=repository,
            number=mr.get("iid"),
            title=text(mr.get("title"), 500),
            state="merged" if merged else text(mr.get("state"), 20) or "opened",
            head_ref=text(mr.get("source_branch"), 200),
            head_sha=text(last.get("id"), 40) or None,
            merge_sha=text(mr.get("merge_commit_sha"), 40) or None if merged else None,
            author=text(dig(data, "user", "username"), 200),
            opened_at=parse_time(mr.get("created_at")),
            merged_at=merged_at,
            closed_at=parse_time(mr.get("closed_at")),
            url=text(mr.get("url"), 2000) or None,
        )
    ]


def pipeline(data: dict[str, Any]) -> list[Fact]:
    attrs = data.get("object_attributes") or {}
    repository = _repo(data)
    commit = data.get("commit")
    status = text(attrs.get("status"), 30)
    return [
        PipelineFact(
            key=f"gitlab:{repository}:pipeline:{attrs.get('id')}",
            provider="gitlab",
            repository=repository,
            name=text(attrs.get("name") or "pipeline", 300),
            sha=text(attrs.get("sha"), 40) or None,
            ref=text(attrs.get("ref"), 200),
            status=status,
            conclusion=status
            if status in STATUSES and status not in {"running", "created"}
            else None,
            started_at=parse_time(attrs.get("created_at")),
            finished_at=parse_time(attrs.get("finished_at")),
            url=text(attrs.get("url"), 2000) or None,
            head_commit=_commit(commit, repository, None) if isinstance(commit, dict) else None,
        )
    ]


def deployment(data: dict[str, Any]) -> list[Fact]:
    repository = _repo(data)
    status = STATUSES.get(text(data.get("status"), 20))
    at = parse_time(data.get("status_changed_at"))
    commit_url = text(data.get("commit_url"), 2000)
    sha = (
        commit_url.rsplit("/", 1)[-1]
        if "/commit/" in commit_url
        else text(data.get("short_sha"), 40)
    )
    return [
        DeploymentFact(
            key=f"gitlab:{repository}:{data.get('deployment_id')}",
            source="gitlab",
            environment=text(data.get("environment"), 63) or "production",
            repository=repository,
            version=text(data.get("ref") or data.get("short_sha"), 200),
            sha=sha or None,
            ref=text(data.get("ref"), 200),
            status=status,
            status_at=at,
            started_at=at if status == "running" else None,
            finished_at=at if status in {"success", "failed", "cancelled"} else None,
            url=text(data.get("deployable_url"), 2000) or None,
        )
    ]


_PARSERS: dict[str, Callable[[dict[str, Any]], list[Fact]]] = {
    "push": push,
    "merge_request": merge_request,
    "pipeline": pipeline,
    "deployment": deployment,
}
