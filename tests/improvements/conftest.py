"""Improvement tests: services with a real delivery history recorded through the releases
practice (failed and successful production deployments), and the scoreboard cache cleared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.metrics import service as metrics
from guardrail.releases import service as releases
from guardrail.releases.schemas import DeploymentRecord
from guardrail.store.session import Database

ACTOR = Actor.system("tests")


@pytest.fixture(autouse=True)
def fresh_board() -> Iterator[None]:
    metrics.clear_cache()
    yield
    metrics.clear_cache()


@pytest.fixture
def now() -> datetime:
    return utcnow().replace(microsecond=0)


Deploy = Callable[..., None]


@pytest.fixture
def deploy(db: Database) -> Deploy:
    """``deploy(service, start, ok=N, failed=M)``: N successful and M failed production
    deployments, an hour apart from ``start`` (the service is created on first use)."""
    seen: set[str] = set()
    counter = iter(range(1_000_000))

    def record(service: str, start: datetime, *, ok: int = 0, failed: int = 0) -> None:
        with db.unit_of_work() as session:
            if service not in seen and cmdb.find_service(session, service) is None:
                cmdb.create_service(session, ACTOR, ServiceCreate(name=service))
            seen.add(service)
            statuses = ["failed"] * failed + ["success"] * ok
            for i, status in enumerate(statuses):
                at = start + timedelta(hours=i)
                n = next(counter)
                data = DeploymentRecord(
                    service=service,
                    environment="production",
                    version=f"1.0.{n}",
                    status=status,
                    key=f"{service}:{n}",
                    started_at=at - timedelta(minutes=5),
                    finished_at=at,
                )
                releases.record_deployment(session, ACTOR, data)
        metrics.clear_cache()

    return record
