"""Run a guardrails document over one change: steps in order, outcomes, approvals, the decision.

Pure: the caller gathers the facts (change, service, risk, evidence, calendar, a budget lookup)
and says how many valid approvals each requirement has. The same function decides at the gate,
after every approval, and in `guardrail policy test`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guardrail.changes.enums import Decision, Outcome
from guardrail.changes.policy import cel as cel_module
from guardrail.changes.policy import rego as rego_module
from guardrail.changes.policy.evaluators import EVALUATORS, StepInput
from guardrail.changes.policy.evaluators import rego as run_rego

IMPLICIT_FREEZE: dict[str, Any] = {
    "index": -1,
    "step": "freeze_window",
    "kind": "freeze",
    "name": "freeze_window (implicit)",
    "line": 0,
    "if": None,
    "on_fail": "block_deploy",
    "on_pass": "continue",
    "on_approve": "continue",
    "params": {},
}


@dataclass(frozen=True)
class Requirement:
    """Approvals one step asks for."""

    key: str
    step: str
    group: str | None
    count: int
    expires: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "step": self.step,
            "group": self.group,
            "count": self.count,
            "expires": self.expires,
        }


@dataclass
class Granted:
    """Valid approvals counted for one requirement."""

    count: int = 0
    approvers: list[str] = field(default_factory=list)


ApprovalLookup = Callable[[Requirement], Granted]


@dataclass
class CompiledPolicy:
    """A document with its conditions compiled, ready to run many times."""

    document: dict[str, Any]
    digest: str
    steps: list[dict[str, Any]]
    conditions: dict[int, Any]
    needs_budget: bool
    cel_reads: frozenset[str] = frozenset(cel_module.VARIABLES)  # what the expressions read


@dataclass
class Facts:
    """Everything the steps read about one change."""

    change: dict[str, Any]
    service: dict[str, Any]
    risk: dict[str, Any]
    evidence: dict[str, Any]
    calendar: dict[str, Any]
    budget: Callable[[], dict[str, Any]]
    # The service's open action items, read only when a step asks (open_action_items).
    actions: Callable[[], list[dict[str, Any]]] = list


@dataclass
class Evaluation:
    decision: Decision
    reasons: list[str]
    trace: list[dict[str, Any]]
    requirements: list[dict[str, Any]]
    needs_review: bool = False
    review_reasons: list[str] = field(default_factory=list)


_compiled: OrderedDict[str, CompiledPolicy] = OrderedDict()
_lock = threading.Lock()


def compile_policy(document: dict[str, Any], digest: str) -> CompiledPolicy:
    """The compiled form of a document, cached by its digest (compiled once per version)."""
    with _lock:
        if (hit := _compiled.get(digest)) is not None:
            return hit
    steps = list(document["steps"])
    if not any(s["kind"] == "freeze" for s in steps):
        # Freeze windows are the organisation's; a service's file cannot forget them.
        steps.insert(0, IMPLICIT_FREEZE)
    conditions = {s["index"]: cel_module.compile_expression(s["if"]) for s in steps if s.get("if")}
    reads = set().union(*(cel_module.references(p) for p in conditions.values()))
    checks = [
        cel_module.compile_expression(s["params"]["expr"]) for s in steps if s["kind"] == "cel"
    ]
    policy = CompiledPolicy(
        document=document,
        digest=digest,
        steps=steps,
        conditions=conditions,
        needs_budget="budget" in reads or any(s["kind"] == "budget" for s in steps),
        # The CEL context holds only the variables some expression reads: building it converts
        # every value it holds.
        cel_reads=frozenset(reads.union(*(cel_module.references(p) for p in checks))),
    )
    with _lock:
        _compiled[digest] = policy
        while len(_compiled) > 256:
            _compiled.popitem(last=False)
    return policy


class _Run:
    """One evaluation's state while the steps run."""

    def __init__(self, policy: CompiledPolicy, facts: Facts, approvals: ApprovalLookup) -> None:
        self.policy, self.facts, self.approvals = policy, facts, approvals
        self.data = StepInput(_variables(facts, {}), _memo(facts.budget), _memo_list(facts.actions))
        self.trace: list[dict[str, Any]] = []
        self.requirements: list[tuple[Requirement, Granted]] = []
        self.reasons: list[str] = []
        self.review: list[str] = []
        self.decision: Decision | None = None

    def run(self) -> Evaluation:
        self.data.context = cel_module.make_context(self._cel_variables())
        for step in self.policy.steps:
            if self._step(step):
                break
        return self._finish()

    def _cel_variables(self) -> dict[str, Any]:
        reads = self.policy.cel_reads
        variables = {k: v for k, v in self.data.variables.items() if k in reads}
        if self.policy.needs_budget and "budget" in reads:
            variables["budget"] = self.data.budget
        return variables

    def _step(self, step: dict[str, Any]) -> bool:
        """Run one step; True when its outcome ends the evaluation."""
        entry = {k: step[k] for k in ("index", "step", "name", "line")}
        self.trace.append(entry)
        try:
            if not self._applies(step):
                entry.update(status="skipped", outcome=None, messages=["`if` is false"])
                return False
            status, messages, requirement = self._check(step)
        except (cel_module.CelError, rego_module.RegoProblem) as exc:
            status, messages, requirement = "error", [f"could not be evaluated: {exc}"], None
        entry.update(status=status, messages=messages)
        outcome = self._outcome(step, status, requirement)
        entry["outcome"] = outcome
        return self._apply(step, outcome, messages, requirement)

    def _applies(self, step: dict[str, Any]) -> bool:
        program = self.policy.conditions.get(step["index"])
        if program is None:
            return True
        value = cel_module.evaluate(program, self.data.context)
        if not isinstance(value, bool):
            raise cel_module.CelError(f"`if: {step['if']}` gave {value!r}, not true or false")
        return value

    def _check(self, step: dict[str, Any]) -> tuple[str, list[str], Requirement | None]:
        if step["kind"] == "approval":
            requirement = _requirement(step)
            granted = self._granted(requirement)
            met = granted.count >= requirement.count
            return (
                ("approved" if met else "pending"),
                [_approval_text(requirement, granted)],
                (requirement),
            )
        if step["kind"] == "rego":
            key = f"{self.policy.digest}:{step['index']}"
            ok, messages = run_rego(step["params"], self.data, key)
        else:
            ok, messages = EVALUATORS[step["kind"]](step["params"], self.data)
        if step["kind"] == "freeze" and ok and self.data.variables["calendar"]["active"]:
            self.review.extend(messages)
        return ("pass" if ok else "fail"), messages, None

    def _outcome(self, step: dict[str, Any], status: str, requirement: Requirement | None) -> str:
        if status == "error":
            return Outcome.block_deploy.value  # fail closed: an unreadable rule never waves through
        if status == "approved":
            return str(step["on_approve"])
        if status == "pending":
            return str(step["on_fail"])
        return str(step["on_pass"] if status == "pass" else step["on_fail"])

    def _apply(
        self,
        step: dict[str, Any],
        outcome: str,
        messages: list[str],
        requirement: Requirement | None,
    ) -> bool:
        if outcome == Outcome.block_deploy:
            self.decision = Decision.blocked
            self.reasons = [f"{step['name']}: {m}" for m in messages]
            return True
        if outcome == Outcome.require_approval:
            requirement = requirement or _requirement(step)
            granted = self._granted(requirement)
            if granted.count >= requirement.count and step["kind"] != "approval":
                return self._apply(step, step["on_approve"], messages, None)
            self.reasons.extend(f"{step['name']}: {m}" for m in messages)
            return False
        if outcome == Outcome.auto_approve:
            if any(g.count < r.count for r, g in self.requirements):
                self.trace[-1]["messages"].append(
                    "auto_approve does not waive approvals an earlier step asked for"
                )
                return False
            self.decision = Decision.approved
            self.reasons = [f"auto-approved by {step['name']}: {'; '.join(messages)}"]
            return True
        return False

    def _granted(self, requirement: Requirement) -> Granted:
        for known, granted in self.requirements:
            if known.key == requirement.key:
                return granted
        granted = self.approvals(requirement)
        self.requirements.append((requirement, granted))
        return granted

    def _finish(self) -> Evaluation:
        decision = self.decision or self._end_of_steps()
        if decision is Decision.pending_approval and self.facts.change["type"] == "emergency":
            decision = Decision.approved
            waived = "; ".join(self.reasons) or "approval"
            self.review.append(f"proceeded without waiting for: {waived}")
            self.reasons = []
        if self.review and decision is Decision.approved:
            self.reasons = [
                "emergency change: proceeds now; a retrospective review is required",
                *self.review,
                *self.reasons,
            ]
        return Evaluation(
            decision=decision,
            reasons=self.reasons,
            trace=self.trace,
            requirements=[
                {**r.as_dict(), "granted": g.count, "approvers": g.approvers}
                for r, g in self.requirements
            ],
            needs_review=bool(self.review) and decision is not Decision.blocked,
            review_reasons=self.review,
        )

    def _end_of_steps(self) -> Decision:
        unmet = [(r, g) for r, g in self.requirements if g.count < r.count]
        if unmet:
            return Decision.pending_approval
        if self.requirements:
            names = sorted({a for _, g in self.requirements for a in g.approvers})
            self.reasons = [f"approved by {', '.join(names)}"]
            return Decision.approved
        change = self.facts.change
        if (
            change["type"] == "standard"
            and change.get("model") in self.policy.document["standard_changes"]
        ):
            self.reasons = [f"standard change {change['model']!r}: pre-approved change model"]
            return Decision.approved
        if self.policy.document["default"] == "auto_approve":
            self.reasons = ["no guardrail objected; the guardrails approve by default"]
            return Decision.approved
        requirement = Requirement("default", "default", None, 1, "24h")
        granted = self._granted(requirement)
        if granted.count >= 1:
            self.reasons = [f"approved by {', '.join(granted.approvers)}"]
            return Decision.approved
        self.reasons.append("no guardrail approved the change automatically; one approver must")
        return Decision.pending_approval


def _requirement(step: dict[str, Any]) -> Requirement:
    params = step["params"]
    return Requirement(
        key=f"step{step['index']}",
        step=step["name"],
        group=params.get("group"),
        count=int(params.get("count") or 1),
        expires=str(params.get("expires") or "24h"),
    )


def _approval_text(requirement: Requirement, granted: Granted) -> str:
    who = f"members of {requirement.group}" if requirement.group else "approvers"
    if granted.count >= requirement.count:
        return f"approved by {', '.join(granted.approvers)}"
    return f"waiting for {requirement.count - granted.count} approval(s) from {who}"


def _memo(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    cache: list[dict[str, Any]] = []

    def once() -> dict[str, Any]:
        if not cache:
            cache.append(fn())
        return cache[0]

    return once


def _memo_list(fn: Callable[[], list[dict[str, Any]]]) -> Callable[[], list[dict[str, Any]]]:
    cache: list[list[dict[str, Any]]] = []

    def once() -> list[dict[str, Any]]:
        if not cache:
            cache.append(fn())
        return cache[0]

    return once


def _variables(facts: Facts, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "change": facts.change,
        "service": facts.service,
        "risk": facts.risk,
        "evidence": facts.evidence,
        "calendar": facts.calendar,
        **extra,
    }


def evaluate(policy: CompiledPolicy, facts: Facts, approvals: ApprovalLookup) -> Evaluation:
    """Decide one change under one compiled policy."""
    return _Run(policy, facts, approvals).run()
