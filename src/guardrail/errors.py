"""Errors that carry their HTTP status; the shells turn them into problem+json or a CLI line."""

from __future__ import annotations

from typing import Any


class GuardrailError(Exception):
    """Base error: a status, a short title, and a detail a person can act on."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class InvalidInput(GuardrailError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class NotFound(GuardrailError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(GuardrailError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Unauthorized(GuardrailError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class Forbidden(GuardrailError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class PayloadTooLarge(GuardrailError):
    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class UnsupportedMediaType(GuardrailError):
    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"
