"""Stored deliveries -> records: parse with the source's parser, then apply each fact.

Commits, pull requests and pipeline runs are facts copied from Git and CI (the stored raw event
is their record); deployments, releases and links are audited where they are written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.integrations.inbound.cdevents import parser as cdevents
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.github import parser as github
from guardrail.integrations.inbound.gitlab import parser as gitlab
from guardrail.integrations.models import InboundEvent
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.releases import attribution, repository, service
from guardrail.releases.facts import (
    ArtifactFact,
    CommitFact,
    DeploymentFact,
    Fact,
    PipelineFact,
    PullRequestFact,
    PushFact,
    ReleaseFact,
)
from guardrail.releases.models import Artifact, Commit, PipelineRun, PullRequest, Release

PARSERS: dict[str, Callable[[str, bytes], list[Fact]]] = {
    "github": github.parse,
    "gitlab": gitlab.parse,
    "cdevents": cdevents.parse,
}


def process_event(session: Session, event: InboundEvent) -> str:
    """The processor the GitHub, GitLab and CDEvents integration types name."""
    facts = PARSERS[event.source](event.event_type, event.body.encode("utf-8"))
    if not facts:
        return "ignored"
    integration = inbound.get_integration(session, event.integration_id)
    named = cmdb.find_service(session, integration.service_id) if integration.service_id else None
    actor = Actor.system(f"integration:{integration.id}")
    for fact in facts:
        apply(session, actor, fact, service=named.name if named else None)
    return "processed"


def apply(session: Session, actor: Actor, fact: Fact, *, service: str | None = None) -> None:
    """Apply one fact; ``service`` (the integration's) wins over what the payload says."""
    if isinstance(fact, DeploymentFact):
        _apply_deployment(session, actor, fact, service)
    elif isinstance(fact, PushFact):
        apply_push(session, fact)
    elif isinstance(fact, PullRequestFact):
        apply_pull_request(session, fact)
    elif isinstance(fact, PipelineFact):
        apply_pipeline(session, fact)
    elif isinstance(fact, ReleaseFact):
        apply_release(session, actor, fact, service)
    elif isinstance(fact, ArtifactFact):
        apply_artifact(session, fact)
    elif isinstance(fact, CommitFact):
        _settle(session, upsert_commits(session, [fact]))


def _apply_deployment(
    session: Session, actor: Actor, fact: DeploymentFact, name: str | None
) -> None:
    if fact.sha is None and fact.artifact:
        known = repository.artifact(session, fact.artifact)
        fact.sha = known.sha if known else None
    service.apply_deployment(session, actor, fact, service=name)


def apply_push(session: Session, fact: PushFact) -> None:
    """Commits pushed to a branch: each one's first parent is the commit pushed before it."""
    parent = fact.before
    for commit in fact.commits:
        commit.parent_sha, parent = parent, commit.sha
    rows = upsert_commits(session, fact.commits)
    pr = repository.open_pull_request_for_branch(session, fact.repository, fact.branch)
    if pr is not None:
        _link_commits(session, pr, [r for r in rows if r.branch == fact.branch])
    _settle(session, rows)


def upsert_commits(session: Session, facts: list[CommitFact]) -> list[Commit]:
    """Insert new commits; fill what known ones lack (a first parent is never replaced)."""
    known = repository.commits_by_sha(session, [f.sha for f in facts])
    rows: list[Commit] = []
    for fact in facts:
        row = known.get(fact.sha)
        if row is None:
            row = Commit(sha=fact.sha, first_seen_at=utcnow())
            session.add(row)
            known[fact.sha] = row
        for field in (
            "repository",
            "branch",
            "parent_sha",
            "message",
            "author_name",
            "author_email",
            "authored_at",
            "committed_at",
        ):
            value = getattr(fact, field)
            if value and not getattr(row, field):
                setattr(row, field, value)
        rows.append(row)
    session.flush()
    merged = repository.pull_requests_by_merge_sha(session, [r.sha for r in rows])
    for row in rows:
        if row.sha in merged and row.pull_request_id is None:
            _link_commits(session, merged[row.sha], [row])
    return rows


def _settle(session: Session, rows: list[Commit]) -> None:
    """Re-run the attribution of deployments that were waiting for any of these commits."""
    waiting = repository.deployments_waiting_for(session, [r.sha for r in rows])
    starts: dict[tuple[str, str], datetime] = {}
    for dep in waiting:
        key = (dep.service, dep.environment)
        starts[key] = min(starts.get(key, dep.deployed_at), dep.deployed_at)
    for (name, environment), since in sorted(starts.items()):
        attribution.reattribute(session, name, environment, since)


def apply_pull_request(session: Session, fact: PullRequestFact) -> PullRequest:
    """Create or update a pull request, then link the commits that belong to it."""
    pr = repository.pull_request_by_key(session, fact.key)
    if pr is None:
        pr = PullRequest(key=fact.key, repository=fact.repository)
        session.add(pr)
    for field in (
        "number",
        "title",
        "head_ref",
        "head_sha",
        "merge_sha",
        "author",
        "opened_at",
        "merged_at",
        "closed_at",
        "url",
    ):
        value = getattr(fact, field)
        if value:
            setattr(pr, field, value)
    if pr.state != "merged":  # a merged request stays merged, whatever arrives later
        pr.state = fact.state
    session.flush()
    linked = []
    if pr.merge_sha:
        linked += list(repository.commits_by_sha(session, [pr.merge_sha]).values())
    if pr.head_ref:
        linked += repository.unlinked_commits_on_branch(session, pr.repository, pr.head_ref)
    _link_commits(session, pr, [c for c in linked if c.pull_request_id in (None, pr.id)])
    return pr


def _link_commits(session: Session, pr: PullRequest, commits: list[Commit]) -> None:
    for commit in commits:
        commit.pull_request_id = pr.id
    session.flush()
    pr.first_commit_at = repository.earliest_commit_of(session, pr.id) or pr.first_commit_at


def apply_pipeline(session: Session, fact: PipelineFact) -> PipelineRun:
    """Create or update a pipeline run; its head commit becomes known (without a parent)."""
    run = repository.pipeline_run_by_key(session, fact.key)
    if run is None:
        run = PipelineRun(key=fact.key, provider=fact.provider)
        session.add(run)
    for field in (
        "repository",
        "name",
        "sha",
        "ref",
        "status",
        "conclusion",
        "started_at",
        "finished_at",
        "url",
    ):
        value = getattr(fact, field)
        if value:
            setattr(run, field, value)
    session.flush()
    if fact.head_commit is not None:
        _settle(session, upsert_commits(session, [fact.head_commit]))
    return run


def apply_release(session: Session, actor: Actor, fact: ReleaseFact, name: str | None) -> Release:
    """Create or update a release; it groups the deployments of its version."""
    row = repository.release_by_key(session, fact.key)
    created = row is None
    if row is None:
        owner = name or fact.service or fact.repository.rsplit("/", 1)[-1] or "unknown"
        row = Release(key=fact.key, service=service.service_slug(owner), version=fact.tag)
        session.add(row)
    row.repository, row.version, row.name = fact.repository, fact.tag or row.version, fact.name
    row.body, row.published_at, row.url = fact.body, fact.published_at, fact.url
    session.flush()
    if created:
        after = {"service": row.service, "version": row.version, "name": row.name}
        audit_service.record(session, actor, "release.create", "release", row.id, after=after)
    return row


def apply_artifact(session: Session, fact: ArtifactFact) -> Artifact:
    """Remember a published artifact and the commit its version names."""
    row = repository.artifact(session, fact.purl)
    if row is None:
        row = Artifact(purl=fact.purl, sha=fact.sha, published_at=fact.published_at)
        session.add(row)
        session.flush()
    return row
