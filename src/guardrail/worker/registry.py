"""The modules that register job handlers; the worker imports them when it starts.

A practice with background work adds its ``jobs`` module here (``"guardrail.changes.jobs"``).
"""

from __future__ import annotations

import importlib

# One module per line.
JOB_MODULES = (
    "guardrail.worker.selftest",
    "guardrail.slo.jobs",
    "guardrail.changes.jobs",
    "guardrail.integrations.inbound.core.jobs",
    "guardrail.integrations.outbound.pipelines.jobs",
    "guardrail.incidents.jobs",
    "guardrail.oncall.jobs",
    "guardrail.problems.jobs",
    "guardrail.improvements.jobs",
)


def load_job_modules() -> None:
    """Import every job module so that its handlers and periodic jobs are registered."""
    for name in JOB_MODULES:
        importlib.import_module(name)
