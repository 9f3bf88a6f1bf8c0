"""Fixtures for the change practice: a small organisation, tokens per person, evidence files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.identity import service as identity
from guardrail.identity.enums import Role
from guardrail.identity.schemas import MemberAdd, PersonCreate, TeamCreate
from guardrail.kit.context import Actor
from guardrail.store.session import Database

ACTOR = Actor.system("tests")


@dataclass
class Org:
    """Tokens by name: ci (pipeline), alice and bob and carol (approvers), dave (engineer)."""

    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def org(db: Database, make_token: Callable[..., str]) -> Org:
    with db.unit_of_work() as session:
        for handle in ("alice", "bob", "carol", "dave"):
            identity.create_person(
                session,
                ACTOR,
                PersonCreate(handle=handle, name=handle.title(), email=f"{handle}@example.com"),
            )
        identity.create_team(session, ACTOR, TeamCreate(slug="security", name="Security"))
        identity.add_member(session, ACTOR, "security", MemberAdd(person="carol"))
        cmdb.create_service(session, ACTOR, ServiceCreate(name="checkout-api", tier=1))
        cmdb.create_service(session, ACTOR, ServiceCreate(name="catalog", tier=3))
    tokens = {
        "ci": make_token(Role.pipeline, name="ci"),
        "alice": make_token(Role.approver, name="alice", person="alice"),
        "bob": make_token(Role.approver, name="bob", person="bob"),
        "carol": make_token(Role.approver, name="carol", person="carol"),
        "dave": make_token(Role.engineer, name="dave", person="dave"),
        "admin": make_token(Role.admin, name="admin"),
    }
    return Org(tokens)
