"""Who is acting and in which request: passed from the shell into every service call."""

from __future__ import annotations

from dataclasses import dataclass, field

from guardrail.kit.ids import new_id


@dataclass(frozen=True)
class Actor:
    """The principal behind a write: a token, a person, or guardrail itself."""

    name: str
    role: str = "admin"
    token_id: str | None = None
    person_id: str | None = None
    request_id: str = field(default_factory=lambda: new_id("req"))

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """guardrail acting on its own behalf (migrations, the worker, the CLI's admin commands)."""
        return cls(name=name, role="admin")
