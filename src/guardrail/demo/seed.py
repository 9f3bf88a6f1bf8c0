"""The demo organisation: teams, people and services with dependencies, guardrails, SLOs and
on-call, then 90 days of history written through the practices' services (history.py).

Deterministic for a seed (relative to the time it runs), and idempotent: a catalogue that has
services already is left as it is.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from guardrail.changes import calendar, policies
from guardrail.changes.schemas import FreezeCreate, PolicyApply
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate, ServiceFilter
from guardrail.demo import history, improving, learning, org, trouble
from guardrail.demo.clock import simulated
from guardrail.demo.story import Story
from guardrail.identity import service as identity
from guardrail.identity.enums import Role, TeamRole
from guardrail.identity.schemas import MemberAdd, PersonCreate, TeamCreate, TokenCreate
from guardrail.incidents import service as incidents
from guardrail.integrations.inbound.cmdb_files import parse_content
from guardrail.integrations.inbound.documents import ImportOptions
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.oncall import service as oncall
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import ApplyIn, SpecFile

log = logging.getLogger("guardrail.demo")

DEFAULT_SEED = 7
DEFAULT_DAYS = 90
# The person the demo's sign-in token belongs to: in every team, author of nothing, so the
# approval inbox lets them approve what waits there.
SIGN_IN_PERSON = "sam"

TEAMS = [
    (
        "payments",
        "Payments",
        [("ana", "Ana Ruiz", TeamRole.lead), ("ben", "Ben Okafor", TeamRole.member)],
    ),
    (
        "storefront",
        "Storefront",
        [("chen", "Chen Wei", TeamRole.lead), ("dana", "Dana Levi", TeamRole.member)],
    ),
    (
        "platform",
        "Platform",
        [("eli", "Eli Novak", TeamRole.lead), ("fay", "Fay Adams", TeamRole.member)],
    ),
]

SERVICES = [
    ("checkout-api", "Checkout API", "payments", 1, "Takes orders and payments."),
    ("payments-gateway", "Payments gateway", "payments", 1, "Talks to card processors."),
    ("ledger", "Ledger", "payments", 2, "Double-entry record of money movements."),
    ("web-storefront", "Web storefront", "storefront", 1, "The shop's web front end."),
    ("search", "Product search", "storefront", 2, "Search and ranking over the catalogue."),
    ("recommendations", "Recommendations", "storefront", 3, "Personalised product suggestions."),
    ("identity", "Identity", "platform", 1, "Sign-in, sessions and customer accounts."),
    ("notifications", "Notifications", "platform", 3, "Email and push notifications."),
]


def seed(
    session: Session,
    *,
    seed_value: int = DEFAULT_SEED,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> bool:
    """Add the sample organisation and its history to an empty catalogue; False if services
    exist (nothing is written then)."""
    if cmdb.list_services(session, ServiceFilter(), limit=1, offset=0)[1] > 0:
        return False
    end = (now or utcnow()).replace(microsecond=0)
    with simulated(end - timedelta(days=days + 1)) as clock:
        people = organisation(session)
        configure(session, end)
        story = Story(session, clock, random.Random(seed_value), end, days, people)
        trouble.push_slo_events(story)
        history.plan(story)
        improving.plan(story)
        learning.plan(story)
        finale(story)
        story.run()
        trouble.push_slo_events(story, only_outages=True)
        clock.set(end)
        slo_service.evaluate(session, now=end)
    from guardrail.metrics.service import clear_cache

    clear_cache()
    log.info("demo history: %s", ", ".join(f"{k} {v}" for k, v in sorted(story.counts.items())))
    return True


def sign_in_person(session: Session) -> str | None:
    """The demo's own person (for its sign-in token), when the demo created it."""
    known = {p.handle for p in identity.list_people(session)}
    return SIGN_IN_PERSON if SIGN_IN_PERSON in known else None


def organisation(session: Session) -> dict[str, str]:
    """Teams, people (with approver tokens for the leads) and services; handle -> person id."""
    actor = Actor.system("demo")
    people: dict[str, str] = {}
    for slug, name, members in TEAMS:
        identity.create_team(session, actor, TeamCreate(slug=slug, name=name))
        for handle, person_name, role in members:
            person = identity.create_person(
                session,
                actor,
                PersonCreate(handle=handle, name=person_name, email=f"{handle}@example.com"),
            )
            people[handle] = person.id
            identity.add_member(session, actor, slug, MemberAdd(person=handle, role=role))
            if role is TeamRole.lead:
                token = TokenCreate(name=f"{handle} approvals", role=Role.approver, person=handle)
                identity.create_token(session, actor, token)
    sam = identity.create_person(
        session,
        actor,
        PersonCreate(handle=SIGN_IN_PERSON, name="Sam Demo", email="sam@example.com"),
    )
    people[SIGN_IN_PERSON] = sam.id
    for slug, _, _ in TEAMS:
        identity.add_member(
            session, actor, slug, MemberAdd(person=SIGN_IN_PERSON, role=TeamRole.member)
        )
    for name, title, team, tier, description in SERVICES:
        cmdb.create_service(
            session,
            actor,
            ServiceCreate(
                name=name,
                display_name=title,
                owner_team=team,
                tier=tier,
                description=description,
                runbook_url=f"https://runbooks.example.com/{name}",
                repository_url=f"https://git.example.com/{team}/{name}",
                environments=["staging", "production"],
            ),
        )
    return people


def configure(session: Session, end: datetime) -> None:
    """Dependencies (a Backstage import), guardrails, SLOs and policies, on-call, freezes."""
    actor = Actor.system("demo")
    titles = {name: (title, description) for name, title, _, _, description in SERVICES}
    snapshot = parse_content(org.catalog(titles), "catalog-info.yaml", ImportOptions(scope="demo"))
    cmdb.import_snapshot(session, actor, "backstage", snapshot)
    for p in org.PROFILES:
        policies.apply(session, actor, PolicyApply(service=p.name, source=org.guardrails(p.team)))
    files = [SpecFile(name=f"{p.name}-slo.yaml", content=org.slo_spec(p)) for p in org.PROFILES]
    slo_service.apply_specs(session, actor, ApplyIn(files=files))
    start_day = (end - timedelta(days=120)).date().isoformat()
    oncall.apply(session, actor, oncall.parse_document(org.oncall(start_day)))
    day = end.replace(hour=0, minute=0, second=0)
    freezes = (
        ("Quarter-end freeze", day - timedelta(days=41, hours=-8), day - timedelta(days=38)),
        ("Winter sale", day + timedelta(days=12), day + timedelta(days=15)),
    )
    for name, start, stop in freezes:
        calendar.create_freeze(
            session,
            actor,
            FreezeCreate(
                name=name,
                reason="no production changes to tier 1 and 2 services; emergencies allowed",
                starts_at=start,
                ends_at=stop,
                environments=["production"],
                tiers=[1, 2],
            ),
        )


def finale(story: Story) -> None:
    """What is going on when the demo starts: one incident being worked on, one just paged."""
    profiles = {p.name: p for p in org.PROFILES}

    def ongoing(name: str, title: str, severity: str, ack: bool) -> None:
        p = profiles[name]
        started = story.clock.now - timedelta(minutes=6)
        incident, responder = trouble.open_incident(story, p, title, severity, started)
        if ack:
            incidents.acknowledge(story.session, responder, incident.id, by=responder.name[6:])

    waiting = (
        ("checkout-api", "ben", "add refunds table", "migrations/0107_refunds.sql"),
        ("identity", "fay", "rotate session signing keys", "src/identity/auth/keys.py"),
        ("web-storefront", "dana", "new checkout flow behind a flag", "src/web/auth/session.ts"),
    )
    for minutes, (name, author, title, path) in zip((50, 25, 10), waiting, strict=True):
        story.at(
            story.end - timedelta(minutes=minutes),
            partial(history.waiting_change, story, name, author, title, path),
        )
    story.at(
        story.end - timedelta(minutes=35),
        lambda: ongoing("web-storefront", "web-storefront: slow product pages", "SEV2", True),
    )
    story.at(
        story.end - timedelta(minutes=4),
        lambda: ongoing("recommendations", "recommendations: model server OOM", "SEV3", False),
    )
