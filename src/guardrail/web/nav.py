"""The navigation: one entry per practice, in one list.

A practice that ships its page sets ``live=True`` on its entry and mounts its router; until then the
shell answers the entry's path with a page that says plainly the practice is not built yet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation."""

    key: str
    label: str
    path: str
    summary: str
    live: bool = False

    def is_current(self, path: str) -> bool:
        """Whether ``path`` belongs to this entry (its own page or a page below it)."""
        if self.path == "/":
            return path == "/"
        return path == self.path or path.startswith(self.path + "/")


NAV: tuple[NavItem, ...] = (
    NavItem(
        "scoreboard",
        "Scoreboard",
        "/",
        "DORA and ITIL metrics side by side: are we getting faster and safer?",
        live=True,
    ),
    NavItem(
        "services",
        "Services",
        "/services",
        "The service catalogue: owners, tiers, lifecycle and runbooks.",
        live=True,
    ),
    NavItem(
        "cmdb",
        "CMDB",
        "/cmdb",
        "Configuration items and their relations, filled from Backstage, Terraform and "
        "Kubernetes, with impact analysis.",
        live=True,
    ),
    NavItem(
        "changes",
        "Changes",
        "/changes",
        "Change records from pipelines, risk, guardrails, approvals and freeze windows.",
        live=True,
    ),
    NavItem(
        "releases",
        "Releases",
        "/releases",
        "Deployments and releases from Git and CI events, canary verdicts and rollbacks.",
        live=True,
    ),
    NavItem(
        "incidents",
        "Incidents",
        "/incidents",
        "Alerts in, deduplicated into incidents with a timeline and suspect changes.",
        live=True,
    ),
    NavItem(
        "oncall", "On-call", "/oncall", "Schedules, escalation chains and who is paged.", live=True
    ),
    NavItem(
        "slos",
        "SLOs",
        "/slos",
        "Service level objectives, error budgets, burn rates and the budget policy.",
        live=True,
    ),
    NavItem(
        "problems",
        "Problems",
        "/problems",
        "Problems, known errors, postmortems and their action items.",
        live=True,
    ),
    NavItem(
        "improvements",
        "Improvements",
        "/improvements",
        "The improvement register on the ITIL continual improvement model.",
        live=True,
    ),
    NavItem("audit", "Audit", "/audit", "The append-only, hash-chained trail of every write."),
)


def current_item(path: str) -> NavItem | None:
    """The entry a page at ``path`` belongs to, if any."""
    return next((item for item in NAV if item.is_current(path)), None)
