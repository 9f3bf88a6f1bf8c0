"""CDEvents -> delivery facts (see source.MAPPING)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from guardrail.integrations.inbound.cdevents.source import cdevent
from guardrail.integrations.inbound.core.payload import dig, parse_time, text
from guardrail.integrations.inbound.core.types import Delivery
from guardrail.releases.facts import (
    ArtifactFact,
    DeploymentFact,
    Fact,
    PipelineFact,
    PullRequestFact,
)

_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_OUTCOMES = {"success": "success", "failure": "failure", "error": "failure", "cancel": "cancelled"}


def parse(event_type: str, body: bytes, headers: dict[str, str] | None = None) -> list[Fact]:
    """The facts in one CDEvent; an event guardrail does not use gives none."""
    event = cdevent(Delivery(headers=headers or {}, body=body))
    family = ".".join(event_type.split(".")[2:4])  # dev.cdevents.<subject>.<predicate>.<ver>
    fn = _PARSERS.get(family)
    return fn(event) if fn else []


def purl_version(purl: str) -> str:
    """The version of a package URL (``pkg:oci/app@sha256%3A…`` -> ``sha256:…``)."""
    if "@" not in purl:
        return ""
    return unquote(purl.rsplit("@", 1)[1].split("?", 1)[0].split("#", 1)[0])


def sha_of(version: str) -> str | None:
    """A version that is a hex commit id (at least 7 digits) names that commit."""
    return version.lower() if _HEX.match(version.lower()) else None


def _context(event: dict[str, Any]) -> tuple[str, str, Any]:
    ctx = event.get("context") or {}
    return text(ctx.get("source"), 200), text(ctx.get("id"), 100), ctx.get("timestamp")


def _service_name(subject_id: str) -> str:
    return subject_id.rstrip("/").rsplit("/", 1)[-1][:63]


def deployed(event: dict[str, Any], *, rollback: bool = False) -> list[Fact]:
    source, event_id, timestamp = _context(event)
    subject = event.get("subject") or {}
    content = subject.get("content") or {}
    artifact = text(content.get("artifactId"), 500)
    version = purl_version(artifact)
    at = parse_time(timestamp)
    return [
        DeploymentFact(
            key=f"cdevents:{source}:{event_id}",
            source="cdevents",
            environment=text(dig(content, "environment", "id"), 63) or "production",
            service=_service_name(text(subject.get("id"), 300)) or None,
            version=version[:200],
            sha=sha_of(version),
            status="success",
            status_at=at,
            started_at=at,
            finished_at=at,
            artifact=artifact or None,
            rollback=rollback,
        )
    ]


def rolledback(event: dict[str, Any]) -> list[Fact]:
    return deployed(event, rollback=True)


def change_merged(event: dict[str, Any]) -> list[Fact]:
    source, _, timestamp = _context(event)
    subject = event.get("subject") or {}
    repository = text(dig(subject, "content", "repository", "id"), 200)
    return [
        PullRequestFact(
            key=f"cdevents:{source}:{subject.get('id')}",
            repository=repository,
            title=text(subject.get("id"), 500),
            state="merged",
            merged_at=parse_time(timestamp),
        )
    ]


def pipelinerun_finished(event: dict[str, Any]) -> list[Fact]:
    source, _, timestamp = _context(event)
    subject = event.get("subject") or {}
    content = subject.get("content") or {}
    outcome = text(content.get("outcome"), 30)
    return [
        PipelineFact(
            key=f"cdevents:{source}:pipelinerun:{subject.get('id')}",
            provider="cdevents",
            name=text(content.get("pipelineName"), 300),
            status="completed",
            conclusion=_OUTCOMES.get(outcome, outcome or None),
            finished_at=parse_time(timestamp),
            url=text(content.get("url") or content.get("uri"), 2000) or None,
        )
    ]


def artifact_published(event: dict[str, Any]) -> list[Fact]:
    _, _, timestamp = _context(event)
    purl = text(dig(event, "subject", "id"), 500)
    return [
        ArtifactFact(purl=purl, published_at=parse_time(timestamp), sha=sha_of(purl_version(purl)))
    ]


_PARSERS = {
    "service.deployed": deployed,
    "service.upgraded": deployed,
    "service.rolledback": rolledback,
    "change.merged": change_merged,
    "pipelinerun.finished": pipelinerun_finished,
    "artifact.published": artifact_published,
}
