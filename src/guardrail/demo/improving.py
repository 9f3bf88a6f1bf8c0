"""The demo's improvement register: one improvement the story's history achieves (checkout-api's
lead time, registered two thirds of the way back and reviewed near the end) and one in progress
(payments' change failure rate). Targets are set from the baseline guardrail measures at the time,
as a team would ("20 % shorter"), so the outcome is whatever the history makes it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from guardrail.demo.story import Story
from guardrail.errors import InvalidInput
from guardrail.improvements import measure, service
from guardrail.improvements.schemas import ActionIn, ImprovementCreate
from guardrail.kit.context import Actor

log = logging.getLogger("guardrail.demo")
REVIEWER = Actor.system("improvements.review")


def plan(story: Story) -> None:
    """Schedule the improvements' registration, actions and review on the story's clock."""
    days = timedelta(days=story.days)
    window = f"{max(1, story.days // 3)}d"
    created, reviewed = story.end - days * 2 / 3, story.end - days / 6
    story.at(created, lambda: _lead_time(story, window, reviewed))
    story.at(story.end - days / 6 + timedelta(hours=2), lambda: _failure_rate(story, window))


def _register(story: Story, data: ImprovementCreate, handle: str) -> str | None:
    try:
        row = service.create_improvement(story.session, story.person(handle, "engineer"), data)
    except InvalidInput as exc:  # a very short history has nothing to start from
        log.info("demo: no improvement %r: %s", data.title, exc.detail)
        return None
    return row.id


def _lead_time(story: Story, window: str, review_at: datetime) -> None:
    found = measure.measure(
        story.session,
        measure.Scope("checkout-api", None, "production", window),
        "lead_time",
        story.clock.now,
    )
    if found.value is None:
        return
    data = ImprovementCreate(
        title="Cut checkout-api's lead time by a fifth",
        owner="ana",
        metric="lead_time",
        service="checkout-api",
        window=window,
        target=round(found.value * 0.8),
        review_at=review_at,
        vision="A fix for checkout reaches customers the day it is written.",
        current_state="Commits wait for a weekly release train and a manual staging check.",
        plan="Trunk-based development; deploy every merge; replace the staging check with a "
        "canary judged by guardrail.",
        momentum="Track lead time on the scoreboard each sprint review; alert when the p90 "
        "passes two days.",
    )
    imp_id = _register(story, data, "ana")
    if imp_id is None:
        return
    for after, text in (
        (timedelta(days=3), "Release train retired: every merge to main deploys"),
        (timedelta(days=9), "Canary judge replaces the manual staging check"),
    ):
        story.at(story.clock.now + after, partial(_act, story, imp_id, text))
    story.at(review_at + timedelta(minutes=5), partial(_review, story))


def _act(story: Story, imp_id: str, text: str) -> None:
    service.add_action(story.session, story.person("ana", "engineer"), imp_id, ActionIn(text=text))


def _review(story: Story) -> None:
    """What the worker's improvements.review job does at the review date."""
    service.review_due(story.session, REVIEWER, story.clock.now)


def _failure_rate(story: Story, window: str) -> None:
    scope = measure.Scope(None, "payments", "production", window)
    found = measure.measure(story.session, scope, "change_failure_rate", story.clock.now)
    if not found.value:
        return
    data = ImprovementCreate(
        title="Halve the payments team's change failure rate",
        owner="ben",
        metric="change_failure_rate",
        team="payments",
        window=window,
        target=round(found.value / 2, 3),
        review_at=story.end + timedelta(days=30),
        vision="A deployment to payments is a non-event.",
        plan="Contract tests against the card processors' sandboxes; schema migrations behind "
        "expand/contract.",
    )
    imp_id = _register(story, data, "ben")
    if imp_id is not None:
        text = "Contract tests run in the pipeline for payments-gateway"
        action = ActionIn(text=text, refs=["payments-gateway"])
        service.add_action(story.session, story.person("ben", "engineer"), imp_id, action)
