"""The story's machinery: the simulated timeline and the steps every part of it shares
(commits' shas, versions, evidence files, recorded deployments)."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from guardrail.changes.schemas import EvidenceFile
from guardrail.demo.clock import Clock
from guardrail.demo.org import Profile
from guardrail.kit.context import Actor
from guardrail.releases import service as releases
from guardrail.releases.schemas import DeploymentRecord

Step = Callable[[], object]
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
REQUESTS_PER_HOUR = 12_000


@dataclass
class Story:
    """The simulation's state: the clock, the queue of timed steps, and what happened so far."""

    session: Session
    clock: Clock
    rng: random.Random
    end: datetime
    days: int
    people: dict[str, str]  # handle -> person id
    queue: list[tuple[datetime, int, Step]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    heads: dict[str, str | None] = field(default_factory=dict)  # service -> branch head sha
    live: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # service -> dep, sha, ver
    versions: dict[str, int] = field(default_factory=dict)
    outages: list[tuple[str, datetime, datetime, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def at(self, when: datetime, step: Step) -> None:
        """Run ``step`` when the clock reaches ``when``."""
        heapq.heappush(self.queue, (when, next(self.seq), step))

    def run(self) -> None:
        """Play every step in time order (steps may schedule later steps)."""
        while self.queue:
            when, _, step = heapq.heappop(self.queue)
            if when > self.end:
                continue  # the story stops at the demo's "now"
            self.clock.set(when)
            step()

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def progress(self, when: datetime) -> float:
        """0 at the start of the history, 1 at its end."""
        span = self.days * 86400
        return min(1.0, max(0.0, 1 - (self.end - when).total_seconds() / span))

    def person(self, handle: str, role: str) -> Actor:
        return Actor(name=f"token:{handle}", role=role, person_id=self.people[handle])


def pipeline(service: str) -> Actor:
    return Actor(name=f"token:ci-{service}", role="pipeline")


# --- shared steps ---


def sha_of(*parts: object) -> str:
    return hashlib.sha1("/".join(str(x) for x in parts).encode()).hexdigest()


def next_version(story: Story, service: str) -> str:
    story.versions[service] = story.versions.get(service, 0) + 1
    return f"1.{story.versions[service] // 10}.{story.versions[service] % 10}"


def evidence_files(story: Story, p: Profile) -> list[EvidenceFile]:
    failures = 1 if story.rng.random() < 0.03 else 0
    junit = (
        f'<testsuite name="{p.name}" tests="120" failures="{failures}" errors="0">'
        + (
            '<testcase name="t_checkout_total"><failure message="off by one"/></testcase>'
            * failures
        )
        + "</testsuite>"
    )
    lines = int(story.rng.lognormvariate(3.6, 1.0))
    diff = f"{lines}\t{lines // 3}\tsrc/{p.name.replace('-', '_')}/handler.py\n"
    if story.rng.random() < 0.05:
        diff += "12\t0\tmigrations/0042_add_index.sql\n"
    return [
        EvidenceFile(name="junit.xml", content=junit),
        EvidenceFile(name="diff.txt", content=diff),
    ]


def record(
    story: Story,
    service: str,
    env: str,
    version: str,
    sha: str,
    started: datetime,
    finished: datetime,
    *,
    status: str = "success",
    change_id: str | None = None,
    rollback_of: str | None = None,
    hotfix_for: str | None = None,
) -> str:
    record = DeploymentRecord.model_validate(
        {
            "service": service,
            "environment": env,
            "version": version,
            "commit": sha,
            "status": status,
            "change_id": change_id,
            "key": f"demo:{service}:{env}:{version}:{finished.isoformat()}",
            "started_at": started,
            "finished_at": finished,
            "rollback_of": rollback_of,
            "hotfix_for": hotfix_for,
            "strategy": "canary" if env == "production" else "rolling",
        }
    )
    dep = releases.record_deployment(story.session, pipeline(service), record)
    story.count(f"deployment.{env}.{status}")
    return dep.id
