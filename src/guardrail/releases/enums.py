"""The releases practice's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class DeploymentStatus(StrEnum):
    pending = "pending"
    running = "running"
    success = "success"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in {
            DeploymentStatus.success,
            DeploymentStatus.failed,
            DeploymentStatus.cancelled,
        }


class Strategy(StrEnum):
    rolling = "rolling"
    canary = "canary"
    blue_green = "blue-green"
    feature_flag = "feature-flag"
    recreate = "recreate"


class Attribution(StrEnum):
    """Whether a deployment's delivered commits are known: all, some, not yet, or not applicable."""

    pending = "pending"
    complete = "complete"
    partial = "partial"
    none = "none"


class LinkKind(StrEnum):
    """cause: the deployment caused the incident; rework: it was made because of the incident."""

    cause = "cause"
    rework = "rework"


class Provenance(StrEnum):
    """How a link was made: a person said so, a rollback implied it, or a rule guessed it."""

    explicit = "explicit"
    rollback = "rollback"
    heuristic = "heuristic"
    emergency_change = "emergency_change"


PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod", "prd", "live"})


def is_production(environment: str) -> bool:
    """Whether ``environment`` names production (``production``, ``prod``, ``prod-eu``, ...)."""
    name = environment.strip().lower()
    return name in PRODUCTION_ENVIRONMENTS or name.startswith(("prod-", "production-", "prod_"))
