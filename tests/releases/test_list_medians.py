"""The deployment list's median lead times, computed for a page at once, equal the medians of
each deployment's own commit lead times."""

from __future__ import annotations

from statistics import median

from release_helpers import drain, github_integration, history, post_all

from guardrail.releases import reports
from guardrail.releases import service as releases


def test_page_medians_equal_each_deployments_detail(client, auth, db, settings):
    post_all(client, github_integration(client, auth), history())
    drain(db, settings)
    with db.reader() as session:
        items, total = reports.list_deployments(session, limit=50)
        fast = reports.median_lead_times(session, items)
        slow = {}
        for item in items:
            detail = reports.deployment_detail(session, releases.get_deployment(session, item.id))
            values = [c.lead_time_seconds for c in detail.commits]
            values = [v for v in values if v is not None]
            if item.commit_count:
                slow[item.id] = median(values) if values else None
    assert total == 4
    assert fast == slow
    assert sum(1 for v in fast.values() if v is not None) >= 3  # staging and production ones
