"""A small organisation: teams, people and services with owners and tiers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate, ServiceFilter
from guardrail.identity import service as identity
from guardrail.identity.enums import TeamRole
from guardrail.identity.schemas import MemberAdd, PersonCreate, TeamCreate
from guardrail.kit.context import Actor

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


def seed(session: Session) -> bool:
    """Add the sample organisation to an empty catalogue; return False if services exist."""
    if cmdb.list_services(session, ServiceFilter(), limit=1, offset=0)[1] > 0:
        return False
    actor = Actor.system("demo")
    for slug, name, members in TEAMS:
        identity.create_team(session, actor, TeamCreate(slug=slug, name=name))
        for handle, person_name, role in members:
            identity.create_person(
                session,
                actor,
                PersonCreate(handle=handle, name=person_name, email=f"{handle}@example.com"),
            )
            identity.add_member(session, actor, slug, MemberAdd(person=handle, role=role))
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
    return True
