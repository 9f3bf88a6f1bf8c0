"""The demo's problem management: the story's change-caused incidents teach something. Near the
end, the team opens a problem from the latest incidents a deployment caused, records the root
cause and a workaround (a known error), drafts the postmortem from the real timeline, publishes
it, and files its action items — one done, one due later, and one P0 that is already overdue, so
the scoreboard's "overdue action items" and the gate's `open_action_items` step have something
to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from guardrail.demo.story import Story
from guardrail.incidents.models import Incident, IncidentCause
from guardrail.problems import actions, postmortems
from guardrail.problems import service as problems
from guardrail.problems.enums import ActionStatus, Priority, ProblemStatus
from guardrail.problems.schemas import ActionItemCreate, ProblemCreate, ProblemUpdate

DAY = timedelta(days=1)


def plan(story: Story) -> None:
    """Schedule the problem review two days before the demo's "now"."""
    story.at(story.end - 2 * DAY, lambda: _review(story))


def _review(story: Story) -> None:
    caused = _change_caused_incidents(story)
    if not caused:  # a very short history may have none
        return
    newest = caused[0]
    engineer = story.person("chen", "engineer")
    problem = problems.create_problem(
        story.session,
        engineer,
        ProblemCreate(
            title=f"{_service_of(newest)}: error rate rises after releases",
            description="Several releases were followed by an error rate above the SLO "
            "until they were rolled back.",
            incidents=[i.id for i in caused[:3]],
        ),
    )
    problems.update_problem(
        story.session,
        engineer,
        problem.id,
        ProblemUpdate(
            root_cause="The product page query opens a connection per recommendation; under "
            "peak traffic the pool of 10 runs out and requests fail.",
            workaround="Roll back to the previous version; raise the pool to 30 until fixed.",
        ),
    )
    problems.transition(story.session, engineer, problem.id, ProblemStatus.known_error)
    postmortem = postmortems.draft_postmortem(
        story.session, engineer, newest.id, problem=problem.id
    )
    now = story.clock.now
    items = [
        ("Add a pool-saturation alert", Priority.P1, now - DAY, "dana", ActionStatus.done),
        ("Size the connection pool from load tests", Priority.P0, now - DAY / 2, "chen", None),
        ("Batch recommendation lookups per page", Priority.P2, now + 14 * DAY, "eli", None),
    ]
    for title, priority, due, owner, status in items:
        item = actions.create_item(
            story.session,
            engineer,
            ActionItemCreate(
                title=title,
                owner=owner,
                priority=priority,
                due_at=due,
                postmortem=postmortem.id,
                problem=problem.id,
            ),
        )
        if status is not None:
            actions.set_status(story.session, engineer, item, status, "done in the sprint")
    postmortems.publish(story.session, engineer, postmortem.id)
    story.count("problems")


def _change_caused_incidents(story: Story) -> list[Incident]:
    """Resolved incidents with a deployment or change named as their cause, newest first."""
    rows = story.session.scalars(
        select(Incident)
        .where(
            Incident.status.in_(("resolved", "closed")),
            Incident.id.in_(select(IncidentCause.incident_id)),
        )
        .order_by(Incident.opened_at.desc())
    ).all()
    if not rows:
        return []
    service = rows[0].service_id
    return [row for row in rows if row.service_id == service]


def _service_of(incident: Incident) -> str:
    return incident.title.split(":", 1)[0]
