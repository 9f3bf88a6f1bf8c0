"""Which commits each successful deployment delivered: the commits new to its service and
environment, found by walking first parents back from the deployed sha.

The walk from deployment D stops at the sha of the previous successful deployment of the same
service and environment, or at a commit an earlier deployment there already delivered (so a
redeploy or a rollback delivers nothing new). When history is incomplete it says so instead of
guessing: ``partial`` with ``missing_sha`` naming the commit it needs (the deployed sha itself,
an unknown parent, or a commit whose parent is unknown). A later push that brings that commit
re-runs the attribution from D on, so events in any order end in the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from guardrail.releases import repository
from guardrail.releases.enums import Attribution
from guardrail.releases.models import Deployment

WALK_LIMIT = 1000  # commits per deployment; a longer gap is reported as partial


@dataclass
class Walk:
    commit_ids: list[str]
    state: Attribution
    missing_sha: str | None = None


def reattribute(session: Session, service: str, environment: str, since: datetime | None) -> int:
    """Recompute the delivered commits of every successful deployment of ``service`` to
    ``environment`` from ``since`` on, in order (each depends on the ones before)."""
    deployments = repository.successes_from(session, service, environment, since)
    previous: Deployment | None = None
    for index, dep in enumerate(deployments):
        # In order, each one's predecessor is the one before it in this list (no query needed).
        attribute(session, dep, previous=previous if index else _UNKNOWN)
        previous = dep
    return len(deployments)


_UNKNOWN = Deployment(id="dep_unknown")  # "look the previous deployment up"


def attribute(session: Session, dep: Deployment, *, previous: Deployment | None = _UNKNOWN) -> Walk:
    """Recompute what ``dep`` delivered and store it."""
    if dep.status != "success":
        walk = Walk([], Attribution.none)
    else:
        prev = repository.previous_success(session, dep) if previous is _UNKNOWN else previous
        walk = _walk(session, dep, prev)
    repository.replace_delivered(session, dep.id, walk.commit_ids)
    dep.attribution, dep.missing_sha = walk.state.value, walk.missing_sha
    dep.commit_count = len(walk.commit_ids)
    session.flush()
    return walk


def clear(session: Session, dep: Deployment) -> None:
    """Forget what ``dep`` delivered (it is no longer a success)."""
    repository.replace_delivered(session, dep.id, [])
    dep.attribution, dep.missing_sha, dep.commit_count = Attribution.none.value, None, 0


def _walk(session: Session, dep: Deployment, prev: Deployment | None) -> Walk:
    head = _head_sha(session, dep)
    if head is None:
        return Walk([], Attribution.pending, missing_sha=dep.sha)
    stop = _head_sha(session, prev) if prev is not None else None
    rows = repository.chain(session, head, stop, WALK_LIMIT)
    if not rows:
        return Walk([], Attribution.pending, missing_sha=head)
    reached_stop = stop is not None and rows[-1][1] == stop
    if reached_stop:
        rows = rows[:-1]
    ids = [r[0] for r in rows]
    earlier = repository.delivered_before(session, dep, ids)
    for index, commit_id in enumerate(ids):
        if commit_id in earlier:  # the rest of the history was delivered before
            return Walk(ids[:index], Attribution.complete)
    if reached_stop or (prev is None and rows and rows[-1][2] is None):
        return Walk(ids, Attribution.complete)
    return Walk(ids, Attribution.partial, missing_sha=_gap(rows))


def _gap(rows: list[tuple[str, str, str | None]]) -> str | None:
    """The sha the walk needs next: the unknown parent, else the commit whose parent is unknown."""
    if len(rows) > WALK_LIMIT:
        return None  # too long a gap: not waiting for anything
    last = rows[-1]
    return last[2] or last[1]


def _head_sha(session: Session, dep: Deployment) -> str | None:
    """The full sha ``dep`` deployed, resolving a short one against known commits."""
    if not dep.sha:
        return None
    if len(dep.sha) == 40:
        return dep.sha if repository.has_commit(session, dep.sha) else None
    commit = repository.commit_by_prefix(session, dep.sha)
    return commit.sha if commit else None
