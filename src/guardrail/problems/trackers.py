"""Action items to GitHub Issues and GitLab issues, and their status back from those trackers.

- GitHub: ``POST {github_api_url}/repos/{owner}/{repo}/issues`` with ``{"title", "body",
  "labels"}``, a bearer token and ``Accept: application/vnd.github+json``; 201 with the issue.
- GitLab: ``POST {gitlab_url}/api/v4/projects/{url-encoded path or id}/issues`` with ``{"title",
  "description", "labels", "due_date"}`` and ``PRIVATE-TOKEN``; 201 with the issue.

An export is an outbox job, so an unreachable tracker is retried with backoff and the item says
so. A dry run builds the same requests, with the token left out, and sends nothing. Status comes
back from GitHub ``issues`` webhooks (closed / reopened) and GitLab issue hooks (close / reopen),
which the inbound github and gitlab integrations verify and dedupe before calling us.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

import httpx
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.config import Settings, get_settings
from guardrail.errors import InvalidInput
from guardrail.integrations.models import InboundEvent
from guardrail.kit.context import Actor
from guardrail.problems import actions
from guardrail.problems.draft import day
from guardrail.problems.enums import ActionStatus, ExportStatus, Tracker
from guardrail.problems.models import ActionItem
from guardrail.problems.schemas import ExportOut, PlannedRequest
from guardrail.store import outbox
from guardrail.store.outbox import handler

log = logging.getLogger("guardrail.problems")
EXPORT_JOB = "problems.export_action_item"
GITHUB_API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 15.0
TOKEN_SETTING = {Tracker.github: "GUARDRAIL_GITHUB_TOKEN", Tracker.gitlab: "GUARDRAIL_GITLAB_TOKEN"}


class ExportFailed(RuntimeError):
    """The tracker answered with an error; the job is retried with backoff."""


@dataclass
class IssueRequest:
    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any]


def _issue_body(item: ActionItem, service: str | None) -> str:
    lines = [item.description.strip()] if item.description.strip() else []
    facts = [
        f"- Priority: {item.priority}",
        f"- Owner: {item.owner or 'unassigned'}",
        f"- Due: {day(item.due_at) or 'no due date'}",
    ]
    facts += [f"- Service: {service}"] if service else []
    facts += [f"- Postmortem: {item.postmortem_id}"] if item.postmortem_id else []
    facts += [f"- Problem: {item.problem_id}"] if item.problem_id else []
    lines += ["", *facts, "", f"guardrail action item {item.id}"]
    return "\n".join(lines).strip() + "\n"


def build(
    item: ActionItem,
    tracker: Tracker,
    repository: str,
    settings: Settings,
    *,
    service: str | None = None,
    token: str | None = None,
) -> IssueRequest:
    """The request that opens ``item`` as an issue; without ``token`` the auth header names
    the setting it comes from instead of a secret."""
    secret = token or f"<{TOKEN_SETTING[tracker]}>"
    if tracker is Tracker.github:
        return IssueRequest(
            "POST",
            f"{settings.github_api_url.rstrip('/')}/repos/{repository}/issues",
            {
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/json",
                "X-GitHub-Api-Version": GITHUB_API_VERSION,
            },
            {
                "title": item.title,
                "body": _issue_body(item, service),
                "labels": ["guardrail", f"priority:{item.priority}"],
            },
        )
    payload: dict[str, Any] = {
        "title": item.title,
        "description": _issue_body(item, service),
        "labels": f"guardrail,priority::{item.priority}",
    }
    if item.due_at:
        payload["due_date"] = day(item.due_at)
    project = quote(repository, safe="")
    return IssueRequest(
        "POST",
        f"{settings.gitlab_url.rstrip('/')}/api/v4/projects/{project}/issues",
        {"Content-Type": "application/json", "PRIVATE-TOKEN": secret},
        payload,
    )


def repository_of(url: str | None) -> str | None:
    """``owner/name`` (or a GitLab group path) from a repository URL."""
    if not url:
        return None
    path = urlparse(url).path if "://" in url else url.split(":", 1)[-1]
    path = path.strip("/").removesuffix(".git")
    return path or None


def _target(session: Session, item: ActionItem, repository: str | None) -> tuple[str, str | None]:
    service = cmdb.find_service(session, item.service_id) if item.service_id else None
    repo = repository or repository_of(service.repository_url if service else None)
    if not repo:
        raise InvalidInput(
            f"action item {item.id} has no service with a repository URL; "
            "name the repository (--repo owner/name, or the GitLab project path)"
        )
    return repo, service.name if service else None


def export(
    session: Session,
    actor: Actor,
    item_ids: list[str],
    tracker: Tracker,
    *,
    repository: str | None = None,
    dry_run: bool = False,
) -> ExportOut:
    """Open an issue per item through the outbox, or (``dry_run``) say which requests would go.
    Items exported to this tracker already, or with an export under way, are skipped."""
    settings = get_settings()
    if not dry_run and not _token(settings, tracker):
        raise InvalidInput(
            f"no {tracker.value} token is configured on the server; set "
            f"{TOKEN_SETTING[tracker]} (or use --dry-run to see the requests)"
        )
    out = ExportOut(dry_run=dry_run, requests=[])
    for item_id in dict.fromkeys(item_ids):
        item = actions.get_item(session, item_id, lock=not dry_run)
        if item.tracker == tracker.value and _in_flight(session, item):
            out.skipped.append(item.id)
            continue
        repo, service = _target(session, item, repository)
        request = build(item, tracker, repo, settings, service=service)
        out.requests.append(
            PlannedRequest(
                item=item.id,
                method=request.method,
                url=request.url,
                headers=request.headers,
                json_body=request.json,
            )
        )
        if not dry_run:
            _enqueue(session, actor, item, tracker, repo)
            out.queued.append(item.id)
    return out


def _in_flight(session: Session, item: ActionItem) -> bool:
    """Exported, or an export still being tried (a buried export may be tried again)."""
    if item.export_status == ExportStatus.exported:
        return True
    if item.export_status != ExportStatus.pending or item.export_job_id is None:
        return False
    job = outbox.get_job(session, item.export_job_id)
    return job is not None and job.status != outbox.JobStatus.dead


def _token(settings: Settings, tracker: Tracker) -> str | None:
    return settings.github_token if tracker is Tracker.github else settings.gitlab_token


def _enqueue(session: Session, actor: Actor, item: ActionItem, tracker: Tracker, repo: str) -> None:
    job = outbox.enqueue(
        session, EXPORT_JOB, {"item_id": item.id, "tracker": tracker.value, "repository": repo}
    )
    assert job is not None
    item.tracker, item.external_ref, item.external_url = tracker.value, None, None
    item.export_status, item.export_job_id, item.export_error = (
        ExportStatus.pending.value,
        job.id,
        None,
    )
    session.flush()
    audit_service.record(
        session,
        actor,
        "action_item.export",
        "action_item",
        item.id,
        after={"tracker": tracker.value, "repository": repo},
    )


@handler(EXPORT_JOB)
def send_export(session: Session, payload: dict[str, Any]) -> None:
    """Open the issue; a non-2xx answer or an unreachable tracker raises, so the job retries."""
    item = actions.get_item(session, payload["item_id"], lock=True)
    tracker = Tracker(payload["tracker"])
    if item.export_status != ExportStatus.pending or item.tracker != tracker.value:
        log.info("action item %s export to %s no longer pending; dropped", item.id, tracker.value)
        return
    settings = get_settings()
    token = _token(settings, tracker)
    if not token:
        raise ExportFailed(f"{TOKEN_SETTING[tracker]} is not set on the worker")
    repo = payload["repository"]
    service = cmdb.find_service(session, item.service_id) if item.service_id else None
    request = build(
        item, tracker, repo, settings, service=service.name if service else None, token=token
    )
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        response = client.request(
            request.method, request.url, headers=request.headers, json=request.json
        )
    if response.status_code >= 300:
        raise ExportFailed(
            f"{tracker.value} answered HTTP {response.status_code}: {response.text[:300]}"
        )
    _exported(session, item, tracker, repo, response.json())


def _exported(
    session: Session, item: ActionItem, tracker: Tracker, repo: str, issue: dict[str, Any]
) -> None:
    number = issue.get("number") if tracker is Tracker.github else issue.get("iid")
    url = issue.get("html_url") if tracker is Tracker.github else issue.get("web_url")
    item.external_ref = f"{repo}#{number}".lower()
    item.external_url = str(url or "")[:2000] or None
    item.export_status, item.export_error = ExportStatus.exported.value, None
    session.flush()
    audit_service.record(
        session,
        Actor.system("problems.export"),
        "action_item.exported",
        "action_item",
        item.id,
        after={"tracker": tracker.value, "ref": item.external_ref, "url": item.external_url},
    )


# --- status back from the trackers' webhooks -----------------------------------------------------

GITHUB_ACTIONS = {"closed": ActionStatus.done, "reopened": ActionStatus.open}
GITLAB_ACTIONS = {"close": ActionStatus.done, "reopen": ActionStatus.open}


def process_github_issue(session: Session, event: InboundEvent) -> str:
    """A GitHub ``issues`` delivery: closed -> done (wont_do when closed as not planned),
    reopened -> open, for the action item exported as that issue."""
    data = json.loads(event.body)
    status = GITHUB_ACTIONS.get(str(data.get("action")))
    issue, repo = data.get("issue") or {}, (data.get("repository") or {}).get("full_name")
    if status is None or not repo or issue.get("number") is None:
        return "ignored"
    if status is ActionStatus.done and issue.get("state_reason") == "not_planned":
        status = ActionStatus.wont_do
    refs = [f"{repo}#{issue['number']}".lower()]
    return _sync(
        session, event, Tracker.github, refs, status, f"GitHub issue {refs[0]} {data['action']}"
    )


def process_gitlab_issue(session: Session, event: InboundEvent) -> str:
    """A GitLab issue hook: action close -> done, reopen -> open."""
    data = json.loads(event.body)
    attributes, project = data.get("object_attributes") or {}, data.get("project") or {}
    status = GITLAB_ACTIONS.get(str(attributes.get("action")))
    iid = attributes.get("iid")
    if status is None or iid is None:
        return "ignored"
    refs = [
        f"{p}#{iid}".lower()
        for p in (
            project.get("path_with_namespace"),
            project.get("id"),
            attributes.get("project_id"),
        )
        if p
    ]
    if not refs:
        return "ignored"
    return _sync(
        session,
        event,
        Tracker.gitlab,
        refs,
        status,
        f"GitLab issue {refs[0]} {attributes['action']}",
    )


def _sync(
    session: Session,
    event: InboundEvent,
    tracker: Tracker,
    refs: list[str],
    status: ActionStatus,
    why: str,
) -> str:
    from guardrail.problems import repository

    item = repository.item_by_external(session, tracker.value, refs)
    if item is None:
        return "ignored"
    actor = Actor.system(f"integration:{event.integration_id}")
    return "processed" if actions.set_status(session, actor, item, status, why) else "ignored"
