"""The HTTP request each kind of pipeline target expects, built from the target and the trigger.

- ``github``: ``POST {url}/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches`` with
  ``{"ref", "inputs"}``, a bearer token and ``Accept: application/vnd.github+json``; 204 on success.
- ``gitlab``: ``POST {url}/api/v4/projects/{id or url-encoded path}/trigger/pipeline`` with the form
  fields ``token``, ``ref`` and ``variables[KEY]``; 201 with the pipeline.
- ``webhook``: ``POST {url}`` with a CloudEvent (structured mode) of type
  ``dev.guardrail.pipeline.trigger``, signed ``X-Guardrail-Signature-256: sha256=<hmac>`` when the
  target has a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from guardrail.integrations.models import PipelineTarget
from guardrail.kit.time import isoformat, utcnow

KINDS = ("github", "gitlab", "webhook")
GITHUB_API_VERSION = "2022-11-28"


@dataclass
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    content: bytes | None = None


def build(
    target: PipelineTarget, ref: str, inputs: dict[str, str], trigger_id: str, reason: str
) -> OutboundRequest:
    """The request that starts ``target`` at ``ref`` with ``inputs``."""
    builder = {"github": _github, "gitlab": _gitlab, "webhook": _webhook}[target.kind]
    return builder(target, ref or target.ref, inputs, trigger_id, reason)


def _github(
    target: PipelineTarget, ref: str, inputs: dict[str, str], trigger_id: str, reason: str
) -> OutboundRequest:
    path = (
        f"/repos/{target.repository}/actions/workflows/{quote(target.workflow, safe='')}/dispatches"
    )
    return OutboundRequest(
        "POST",
        target.url.rstrip("/") + path,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {target.secret or ''}",
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        },
        json={"ref": ref, "inputs": inputs},
    )


def _gitlab(
    target: PipelineTarget, ref: str, inputs: dict[str, str], trigger_id: str, reason: str
) -> OutboundRequest:
    project = quote(target.repository, safe="")
    data = {"token": target.secret or "", "ref": ref}
    data.update({f"variables[{k}]": v for k, v in inputs.items()})
    return OutboundRequest(
        "POST", target.url.rstrip("/") + f"/api/v4/projects/{project}/trigger/pipeline", data=data
    )


def _webhook(
    target: PipelineTarget, ref: str, inputs: dict[str, str], trigger_id: str, reason: str
) -> OutboundRequest:
    event = {
        "specversion": "1.0",
        "id": trigger_id,
        "source": "/guardrail/pipelines",
        "type": "dev.guardrail.pipeline.trigger",
        "time": isoformat(utcnow()),
        "datacontenttype": "application/json",
        "data": {"target": target.name, "ref": ref, "inputs": inputs, "reason": reason},
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/cloudevents+json", "Idempotency-Key": trigger_id}
    if target.secret:
        digest = hmac.new(target.secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Guardrail-Signature-256"] = f"sha256={digest}"
    return OutboundRequest("POST", target.url, headers=headers, content=body)
