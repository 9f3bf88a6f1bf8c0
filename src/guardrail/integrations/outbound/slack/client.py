"""Posting to a Slack incoming webhook, and Slack's settings (GUARDRAIL_SLACK_*)."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlackSettings(BaseSettings):
    """Slack's settings, read when used (never at import)."""

    model_config = SettingsConfigDict(
        env_prefix="GUARDRAIL_SLACK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    webhook_url: str | None = None  # an incoming webhook of the Slack app (the only secret)
    signing_secret: str | None = None  # the app's signing secret, for interaction requests
    # Incident buttons count only from Slack users linked to a guardrail person (their
    # contacts name the Slack user id); anyone else in the channel is told so and nothing happens.
    linked_users_only: bool = True


def settings() -> SlackSettings:
    return SlackSettings()


def webhook_url() -> str | None:
    return settings().webhook_url


def post(url: str, message: dict[str, Any], timeout: float = 10) -> None:
    """Send one message; a failure raises so the outbox retries it later."""
    response = httpx.post(url, json=message, timeout=timeout)
    response.raise_for_status()
