"""The demo's history teaches something: a known error opened from the incidents a deployment
caused, a published postmortem drafted from the real timeline, and its action items (one P0
overdue), which the scoreboard counts."""

from __future__ import annotations

from datetime import UTC, datetime

from guardrail.demo import seed
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.problems import actions, postmortems
from guardrail.problems import service as problems
from guardrail.store.session import Database

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_demo_has_a_known_error_a_postmortem_and_an_overdue_p0(db: Database) -> None:
    with db.unit_of_work() as session:
        assert seed.seed(session, days=30, now=NOW) is True
    with db.reader() as session:
        rows, total = problems.list_problems(session)
        assert total == 1
        problem = problems.detail(session, rows[0])
        assert problem.status == "known_error" and problem.root_cause and problem.workaround
        incident_ids = [link.ref_id for link in problem.links if link.kind == "incident"]
        assert incident_ids
        postmortem = postmortems.find_for_incident(session, incident_ids[0])
        assert postmortem is not None and postmortem.status == "published"
        # The draft came from the incident's own timeline: its cause is in the text.
        assert "## Timeline (UTC)" in postmortem.body and "cause: deployment" in postmortem.body
        items, _ = actions.list_items(session)
        by_title = {item.title: item for item in items}
        pool = by_title["Size the connection pool from load tests"]
        assert pool.priority == "P0" and actions.is_overdue(pool, NOW)
        assert by_title["Add a pool-saturation alert"].status == "done"
        found = problems.search_problems(session, "connection pool")
        assert [p.id for p in found] == [problem.id]
        board = metrics.scoreboard(session, ScopeIn(since="30d"), now=NOW)
    assert board.metric("open_problems").value == 1
    assert board.metric("overdue_actions").value == 1
