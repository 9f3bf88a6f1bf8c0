"""People as the on-call practice sees them: found by handle, id or email through identity."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guardrail.errors import NotFound
from guardrail.identity import service as identity_service
from guardrail.identity.models import Person


class Directory:
    """Every person, looked up once per unit of work."""

    def __init__(self, session: Session) -> None:
        self._by_key: dict[str, Person] = {}
        for person in identity_service.list_people(session):
            self._by_key[person.id] = person
            self._by_key[person.handle] = person
            if person.email:
                self._by_key[person.email.lower()] = person

    def find(self, ref: str) -> Person | None:
        return self._by_key.get(ref) or self._by_key.get(ref.lower())

    def get(self, ref: str) -> Person:
        """A person by id, handle or email; NotFound otherwise."""
        person = self.find(ref)
        if person is None:
            raise NotFound(f"no person {ref!r}; add them first (POST /api/v1/people)")
        return person

    def handle(self, person_id: str | None) -> str | None:
        person = self._by_key.get(person_id or "")
        return person.handle if person else None

    def name(self, person_id: str | None) -> str | None:
        person = self._by_key.get(person_id or "")
        return person.name if person else None
