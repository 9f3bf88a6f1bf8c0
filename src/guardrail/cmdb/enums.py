"""Catalogue vocabularies."""

from __future__ import annotations

from enum import StrEnum


class Lifecycle(StrEnum):
    """Where a service is in its life (Backstage's spec.lifecycle values plus retired)."""

    experimental = "experimental"
    production = "production"
    deprecated = "deprecated"
    retired = "retired"
