"""Releases in and out of the API, CLI and pages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from guardrail.releases.enums import DeploymentStatus, Provenance, Strategy

SHA = r"^[0-9a-fA-F]{7,40}$"


class DeploymentRecord(BaseModel):
    """A deployment reported by a pipeline (``guardrail deploy record``).

    ``key`` makes the report idempotent: the same key again updates the same deployment (a
    status change, a retry). Without one, the key is built from service, environment, version,
    commit and the CI run id when one is given.
    """

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=63)
    environment: str = Field(min_length=1, max_length=63)
    version: str = Field(default="", max_length=200)
    commit: str | None = Field(default=None, pattern=SHA)
    status: DeploymentStatus = DeploymentStatus.success
    strategy: Strategy = Strategy.rolling
    change_id: str | None = Field(default=None, max_length=40)
    key: str | None = Field(default=None, max_length=200)
    run_id: str | None = Field(default=None, max_length=100, description="CI run id, for the key")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    rollback_of: str | None = Field(default=None, max_length=40, description="Deployment id")
    hotfix_for: str | None = Field(default=None, max_length=40, description="Incident id")
    url: str | None = Field(default=None, max_length=2000)


class LinkCreate(BaseModel):
    """A causal link from a deployment to an incident."""

    model_config = ConfigDict(extra="forbid")

    incident_id: str = Field(min_length=1, max_length=40)
    provenance: Provenance = Provenance.explicit
    note: str = Field(default="", max_length=2000)


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    deployment_id: str
    incident_id: str
    kind: str
    provenance: str
    note: str
    created_at: datetime
    created_by: str


class DeploymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    source: str
    service: str
    environment: str
    repository: str
    version: str
    sha: str | None
    ref: str
    status: str
    strategy: str
    started_at: datetime | None
    finished_at: datetime | None
    deployed_at: datetime
    change_id: str | None
    rollback_of_id: str | None
    url: str | None
    attribution: str
    missing_sha: str | None
    commit_count: int
    failed: bool = False
    failure_reasons: list[str] = []
    rework: bool = False


class CommitLeadTime(BaseModel):
    """A delivered commit and how long it took to reach production."""

    sha: str
    message: str
    author: str
    committed_at: datetime | None
    pull_request: str | None = None
    merged_at: datetime | None = None
    first_commit_at: datetime | None = None
    first_production_at: datetime | None = None
    first_production_deployment: str | None = None
    lead_time_seconds: float | None = None
    merge_to_deploy_seconds: float | None = None
    pr_first_commit_to_deploy_seconds: float | None = None


class DeploymentDetail(DeploymentOut):
    commits: list[CommitLeadTime] = []
    links: list[LinkOut] = []
    rolled_back_by: str | None = None
    releases: list[str] = []


class ReleaseCreate(BaseModel):
    """A release a pipeline or a person names: the deployments of ``version`` of ``service``.

    ``key`` makes it idempotent (default: built from service and version).
    """

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=63)
    version: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=100_000)
    repository: str = Field(default="", max_length=200)
    published_at: datetime | None = None
    url: str | None = Field(default=None, max_length=2000)
    key: str | None = Field(default=None, max_length=200)


class ReleaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    service: str
    repository: str
    version: str
    name: str
    body: str
    published_at: datetime | None
    url: str | None
    created_at: datetime


class ReleaseDetail(ReleaseOut):
    deployments: list[DeploymentOut] = []
