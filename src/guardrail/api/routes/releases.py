"""Deployments, lead times, incident links, the canary judge and pipeline triggers over HTTP."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.integrations.outbound.pipelines import service as pipelines
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.releases import canary, canary_sources, notes, reports
from guardrail.releases import service as releases
from guardrail.releases.enums import DeploymentStatus, LinkKind
from guardrail.releases.schemas import (
    DeploymentDetail,
    DeploymentOut,
    DeploymentRecord,
    LinkCreate,
    LinkOut,
    ReleaseCreate,
    ReleaseDetail,
    ReleaseOut,
)
from guardrail.store.session import Database

router = APIRouter(prefix="/releases", tags=["releases"])


@router.post("/deployments", status_code=status.HTTP_201_CREATED, summary="Record a deployment")
def record_deployment(
    data: DeploymentRecord,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> DeploymentOut:
    """Record a deployment a pipeline made; the same key again updates it."""
    with db.unit_of_work() as session:
        dep = releases.record_deployment(session, actor, data)
        return reports.to_out(session, [dep])[0]


@router.get("/deployments", summary="List deployments")
def list_deployments(
    service: str | None = Query(None, max_length=63),
    environment: str | None = Query(None, max_length=63),
    status_: DeploymentStatus | None = Query(None, alias="status"),
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[DeploymentOut]:
    """Deployments, newest first, with failure and rework flags."""
    with db.reader() as session:
        items, total = reports.list_deployments(
            session,
            service=service,
            environment=environment,
            status=status_.value if status_ else None,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
        )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/deployments/{deployment_id}", summary="Get a deployment with its commits")
def get_deployment(
    deployment_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> DeploymentDetail:
    """One deployment, the commits it delivered and each commit's lead time."""
    with db.reader() as session:
        return reports.deployment_detail(session, releases.get_deployment(session, deployment_id))


@router.post(
    "/deployments/{deployment_id}/failures",
    status_code=status.HTTP_201_CREATED,
    summary="Link a deployment to an incident it caused",
)
def link_failure(
    deployment_id: str,
    data: LinkCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> LinkOut:
    """Record that the deployment caused the incident (counted once, whatever else says so)."""
    with db.unit_of_work() as session:
        link = releases.link_failure(
            session, actor, deployment_id, data.incident_id, data.provenance, data.note
        )
        return LinkOut.model_validate(link)


@router.post(
    "/deployments/{deployment_id}/rework",
    status_code=status.HTTP_201_CREATED,
    summary="Mark a deployment as rework for an incident",
)
def link_rework(
    deployment_id: str,
    data: LinkCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> LinkOut:
    """Record that the deployment was made because of the incident (a hotfix)."""
    with db.unit_of_work() as session:
        link = releases.link_rework(
            session, actor, deployment_id, data.incident_id, data.provenance, data.note
        )
        return LinkOut.model_validate(link)


@router.delete(
    "/deployments/{deployment_id}/links/{kind}/{incident_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a link between a deployment and an incident",
)
def unlink(
    deployment_id: str,
    kind: LinkKind,
    incident_id: str,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> Response:
    """Remove a cause or rework link."""
    with db.unit_of_work() as session:
        releases.get_deployment(session, deployment_id)
        releases.unlink(session, actor, deployment_id, incident_id, kind)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/releases", summary="Name a release (the deployments of a version)")
def create_release(
    data: ReleaseCreate,
    response: Response,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> ReleaseOut:
    """Create a release of a service's version (201), or update the one with the same key (200)."""
    with db.unit_of_work() as session:
        row, created = releases.create_release(session, actor, data)
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return ReleaseOut.model_validate(row)


@router.get("/releases", summary="List releases")
def list_releases(
    service: str | None = Query(None, max_length=63),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[ReleaseOut]:
    """Releases, newest first."""
    with db.reader() as session:
        rows, total = reports.list_releases(session, service=service, limit=limit, offset=offset)
    return Page(items=rows, total=total, limit=limit, offset=offset)


@router.get("/releases/{release_id}", summary="Get a release with its deployments")
def get_release(
    release_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ReleaseDetail:
    """One release and the deployments of its version."""
    with db.reader() as session:
        return reports.release_detail(session, releases.get_release(session, release_id))


@router.get(
    "/releases/{release_id}/notes",
    summary="A release's notes as Markdown",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}}},
)
def release_notes(
    release_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> Response:
    """Notes generated from the commits the release's deployments delivered (Markdown)."""
    with db.reader() as session:
        text = notes.to_markdown(notes.build(session, releases.get_release(session, release_id)))
    return Response(text, media_type="text/markdown; charset=utf-8")


class LeadTimeOut(BaseModel):
    sha: str
    deployed_at: datetime
    commit_to_deploy_seconds: float | None
    merge_to_deploy_seconds: float | None
    pr_first_commit_to_deploy_seconds: float | None


@router.get("/lead-times", summary="Lead time per commit")
def lead_times(
    service: str | None = Query(None, max_length=63),
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = Query(1000, ge=1, le=10_000),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[LeadTimeOut]:
    """Commits first delivered to production in [start, end), with their three lead times."""
    with db.reader() as session:
        rows = reports.lead_times(session, service=service, start=start, end=end)
    rows.sort(key=lambda r: r.deployed_at, reverse=True)
    return [
        LeadTimeOut(
            sha=r.sha,
            deployed_at=r.deployed_at,
            commit_to_deploy_seconds=r.commit_to_deploy,
            merge_to_deploy_seconds=r.merge_to_deploy,
            pr_first_commit_to_deploy_seconds=r.pr_first_commit_to_deploy,
        )
        for r in rows[:limit]
    ]


@router.post("/canary/judge", summary="Judge a canary run")
def judge_canary(
    spec: canary.CanarySpec, _: Actor = Depends(require(Role.pipeline))
) -> canary.CanaryResult:
    """Classify each metric (High/Low/Pass/NaN) and score the run (pass, marginal, fail)."""
    return canary.judge(spec, canary_sources.fetch(spec))


class TriggerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str | None = Field(default=None, max_length=200)
    inputs: dict[str, str] = {}
    reason: str = Field(default="", max_length=500)
    subject: str | None = Field(default=None, max_length=40, description="chg_… or inc_…")


@router.post(
    "/pipelines/{target}/trigger",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a pipeline",
)
def trigger_pipeline(
    target: str,
    data: TriggerRequest,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.approver)),
) -> dict[str, str]:
    """Queue a pipeline start (GitHub workflow_dispatch, GitLab trigger or webhook); audited."""
    with db.unit_of_work() as session:
        trigger_id = pipelines.trigger(
            session,
            actor,
            target,
            ref=data.ref,
            inputs=data.inputs,
            reason=data.reason,
            subject=data.subject,
        )
    return {"trigger_id": trigger_id, "status": "queued"}
