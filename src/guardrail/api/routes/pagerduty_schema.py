"""The OpenAPI description of ``/v2/enqueue`` and ``/v2/change/enqueue``.

The two endpoints are served outside FastAPI (see ``pagerduty``), so FastAPI cannot describe them;
this adds them to ``/openapi.json`` by hand, from the same limits ``validate`` enforces.
"""

from __future__ import annotations

from typing import Any

from guardrail.integrations.inbound.pagerduty import validate

_STRING = {"type": "string"}
_ROUTING_KEY = {
    "type": "string",
    "minLength": validate.ROUTING_KEY_LENGTH,
    "maxLength": validate.ROUTING_KEY_LENGTH,
    "description": "The routing key `guardrail integration create --type pagerduty` printed.",
}
_LINKS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["href"],
        "properties": {"href": _STRING, "text": _STRING},
    },
}
_IMAGES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["src"],
        "properties": {"src": _STRING, "href": _STRING, "alt": _STRING},
    },
}
_TIMESTAMP = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "PagerDutyEvent": {
        "type": "object",
        "title": "PagerDuty Events API v2 alert event",
        "required": ["routing_key", "event_action"],
        "properties": {
            "routing_key": _ROUTING_KEY,
            "event_action": {"type": "string", "enum": list(validate.ACTIONS)},
            "dedup_key": {
                "type": "string",
                "maxLength": validate.MAX_DEDUP_KEY,
                "description": "Required to acknowledge or resolve; derived from the body "
                "for a trigger without one.",
            },
            "payload": {
                "type": "object",
                "description": "Required for a trigger.",
                "required": ["summary", "source", "severity"],
                "properties": {
                    "summary": {"type": "string", "maxLength": validate.MAX_SUMMARY},
                    "source": _STRING,
                    "severity": {"type": "string", "enum": list(validate.SEVERITIES)},
                    "timestamp": _TIMESTAMP,
                    "component": _STRING,
                    "group": _STRING,
                    "class": _STRING,
                    "custom_details": {"type": "object"},
                },
            },
            "client": _STRING,
            "client_url": _STRING,
            "links": _LINKS,
            "images": _IMAGES,
        },
    },
    "PagerDutyChangeEvent": {
        "type": "object",
        "title": "PagerDuty Events API v2 change event",
        "required": ["routing_key", "payload"],
        "properties": {
            "routing_key": _ROUTING_KEY,
            "payload": {
                "type": "object",
                "required": ["summary"],
                "properties": {
                    "summary": {"type": "string", "maxLength": validate.MAX_SUMMARY},
                    "source": _STRING,
                    "timestamp": _TIMESTAMP,
                    "custom_details": {
                        "type": "object",
                        "description": "`environment` (default production) and `commit` are "
                        "read into the change record.",
                    },
                },
            },
            "links": _LINKS,
        },
    },
    "PagerDutyAccepted": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "example": "success"},
            "message": _STRING,
            "dedup_key": _STRING,
        },
    },
    "PagerDutyRefused": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "example": validate.INVALID},
            "message": _STRING,
            "errors": {"type": "array", "items": _STRING},
        },
    },
}


def _operation(summary: str, schema: str, accepted: str) -> dict[str, Any]:
    def ref(name: str) -> dict[str, Any]:
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}

    return {
        "post": {
            "tags": ["pagerduty"],
            "summary": summary,
            "description": "PagerDuty Events API v2 compatible: PagerDuty's answers, not "
            "problem+json. No bearer token: the routing key names the integration. A 202 is "
            "sent only after the event is stored.",
            "security": [],
            "requestBody": {"required": True, "content": ref(schema)},
            "responses": {
                "202": {"description": accepted, "content": ref("PagerDutyAccepted")},
                "400": {
                    "description": "Invalid event, unknown routing key, or not a JSON object.",
                    "content": ref("PagerDutyRefused"),
                },
                "413": {"description": "The body is over the size limit (problem+json)."},
            },
        }
    }


PATHS: dict[str, Any] = {
    "/v2/enqueue": _operation(
        "Send an alert event (trigger, acknowledge, resolve)",
        "PagerDutyEvent",
        "Event processed; the answer carries the dedup_key.",
    ),
    "/v2/change/enqueue": _operation(
        "Send a change event (recorded as a change of the integration's service)",
        "PagerDutyChangeEvent",
        "Change event processed.",
    ),
}
