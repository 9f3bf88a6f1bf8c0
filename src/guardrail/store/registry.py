"""Imports every practice's models so that Base.metadata is complete (migrations, checks).

A new practice adds its models module here.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

MODEL_MODULES = (
    "guardrail.identity.models",
    "guardrail.audit.models",
    "guardrail.cmdb.models",
    "guardrail.slo.models",
    "guardrail.changes.models",
    "guardrail.store.outbox",
    "guardrail.integrations.models",
    "guardrail.releases.models",
    "guardrail.oncall.models",
    "guardrail.incidents.models",
    "guardrail.alerts.models",
)


def load_metadata() -> MetaData:
    """The metadata of every table guardrail defines."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from guardrail.store.base import Base

    return Base.metadata
