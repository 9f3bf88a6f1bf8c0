"""Roles, ordered by what they may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A token's role. Higher ranks may do everything lower ranks may."""

    viewer = "viewer"
    pipeline = "pipeline"
    engineer = "engineer"
    approver = "approver"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """Whether a holder of this role may do what ``needed`` guards."""
        return self.rank >= needed.rank


# viewer reads; pipeline also records changes, evidence and deployments; engineer also edits the
# catalogue and incidents; approver also approves changes; admin also manages tokens and people.
_RANKS = {
    Role.viewer: 10,
    Role.pipeline: 20,
    Role.engineer: 30,
    Role.approver: 40,
    Role.admin: 50,
}


class TeamRole(StrEnum):
    """A person's role within a team."""

    member = "member"
    lead = "lead"
