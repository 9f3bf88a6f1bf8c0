"""Settings: one object, read from GUARDRAIL_* variables and .env on first use, not at import."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting guardrail reads. Environment variables are prefixed with GUARDRAIL_."""

    model_config = SettingsConfigDict(
        env_prefix="GUARDRAIL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///guardrail.db",
        description="SQLAlchemy URL; a SQLite file in the working directory by default, "
        "postgresql+psycopg://user@host/db in production.",
    )
    url: str = Field(default="http://127.0.0.1:8080", description="Where the CLI finds the server.")
    token: str | None = Field(default=None, description="The CLI's API token.")
    bootstrap_token: str | None = Field(
        default=None,
        description="Admin token to install on an empty database instead of a new one.",
    )
    public_url: str | None = Field(
        default=None, description="The address people reach the server at (for links)."
    )
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    worker_batch_size: int = Field(default=20, ge=1, le=1000)
    job_lease_seconds: int = Field(default=300, ge=5)
    job_max_attempts: int = Field(default=8, ge=1)
    max_body_bytes: int = Field(default=512 * 1024, ge=1024)
    cookie_secure: bool = False
    prometheus_url: str | None = Field(
        default=None,
        description="Prometheus for SLOs whose DataSource names no URL "
        "(and Sloth specs applied without --prometheus-url).",
    )
    postmortem_severities: str = Field(
        default="SEV1,SEV2",
        description="Comma-separated incident severities whose resolution requires a postmortem.",
    )
    postmortem_budget_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="An incident that consumed more than this share of any of its service's SLO "
        "budgets requires a postmortem (0: only the services' budget policies decide).",
    )
    postmortem_due_days: int = Field(
        default=5, ge=1, description="Days after resolution a required postmortem is due."
    )
    github_api_url: str = Field(
        default="https://api.github.com", description="GitHub's REST API, for action items."
    )
    github_token: str | None = Field(
        default=None, description="Token that may create issues (action-item export to GitHub)."
    )
    gitlab_url: str = Field(
        default="https://gitlab.com", description="The GitLab instance, for action items."
    )
    gitlab_token: str | None = Field(
        default=None, description="Token that may create issues (action-item export to GitLab)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings so the next call reads the environment again (tests)."""
    get_settings.cache_clear()
