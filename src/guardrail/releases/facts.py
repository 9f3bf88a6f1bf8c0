"""What parsers extract from a delivery, independent of the source it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class CommitFact:
    sha: str
    repository: str = ""
    message: str = ""
    author_name: str = ""
    author_email: str = ""
    authored_at: datetime | None = None
    committed_at: datetime | None = None
    parent_sha: str | None = None
    branch: str | None = None


@dataclass
class PushFact:
    """Commits pushed to a branch, oldest first; ``before`` is the branch head before the push."""

    repository: str
    branch: str
    before: str | None
    after: str | None
    commits: list[CommitFact] = field(default_factory=list)


@dataclass
class PullRequestFact:
    key: str
    repository: str
    number: int | None = None
    title: str = ""
    state: str = "open"
    head_ref: str = ""
    head_sha: str | None = None
    merge_sha: str | None = None
    author: str = ""
    opened_at: datetime | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    url: str | None = None


@dataclass
class DeploymentFact:
    """A deployment or a status of one; ``key`` identifies it across events and retries."""

    key: str
    source: str
    environment: str
    service: str | None = None
    repository: str = ""
    version: str = ""
    sha: str | None = None
    ref: str = ""
    status: str | None = None
    status_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    strategy: str | None = None
    url: str | None = None
    change_id: str | None = None
    artifact: str | None = None
    rollback: bool = False


@dataclass
class PipelineFact:
    key: str
    provider: str
    repository: str = ""
    name: str = ""
    sha: str | None = None
    ref: str = ""
    status: str = ""
    conclusion: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    url: str | None = None
    head_commit: CommitFact | None = None


@dataclass
class ReleaseFact:
    key: str
    repository: str
    tag: str
    name: str = ""
    body: str = ""
    published_at: datetime | None = None
    url: str | None = None
    service: str | None = None


@dataclass
class ArtifactFact:
    """A published artifact (a package URL); its version may name the commit it was built from."""

    purl: str
    published_at: datetime | None = None
    sha: str | None = None


Fact = (
    PushFact
    | PullRequestFact
    | DeploymentFact
    | PipelineFact
    | ReleaseFact
    | ArtifactFact
    | CommitFact
)
