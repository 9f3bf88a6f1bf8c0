"""Error-budget policies as code: guardrail/v1 ``ErrorBudgetPolicy`` documents.

```yaml
apiVersion: guardrail/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-budget}
spec:
  service: checkout-api
  rules:
    - name: freeze-on-exhaustion
      action: block_changes
      when: {budgetRemainingBelow: 0, window: 28d}
      except: [emergency, security]
      onNoData: fail_open
    - name: postmortem-over-20-percent
      action: require_postmortem
      when: {incidentBudgetConsumedAbove: 20%}
```
"""

from __future__ import annotations

from guardrail.slo.context import percent_or_fraction
from guardrail.slo.enums import NoDataRule, PolicyAction
from guardrail.slo.spec import PolicyRule, PolicySpec, duration_seconds
from guardrail.slo.yamldoc import Path, Reader

API_VERSION = "guardrail/v1"
KIND = "ErrorBudgetPolicy"


def parse_policy(reader: Reader) -> PolicySpec | None:
    """One policy document, every problem reported with its path."""
    before = len(reader.problems.items)
    name = reader.text(("metadata", "name"), required=True)
    service = reader.text(("spec", "service"), required=True)
    rules = [
        rule
        for path, _ in reader.items(("spec", "rules"), required=True)
        if (rule := _rule(reader, path)) is not None
    ]
    if reader.get(("spec", "rules")) == []:
        reader.error(("spec", "rules"), "lists no rule")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        reader.error(("spec", "rules"), "rule names must be unique within the policy")
    if len(reader.problems.items) > before:
        return None
    return PolicySpec(
        name=name,
        service=service,
        slos=_strings(reader, ("spec", "slos")),
        environments=_strings(reader, ("spec", "environments")),
        rules=rules,
        origin=reader.where(),
    )


def _strings(reader: Reader, path: Path) -> list[str]:
    return [str(item) for _, item in reader.items(path)]


def _rule(reader: Reader, path: Path) -> PolicyRule | None:
    name = reader.text((*path, "name"), required=True)
    action_text = reader.text((*path, "action"), required=True)
    try:
        action = PolicyAction(action_text) if action_text else None
    except ValueError:
        options = ", ".join(a.value for a in PolicyAction)
        reader.error((*path, "action"), f"{action_text!r} must be one of {options}")
        return None
    when = (*path, "when")
    if reader.mapping(when, required=True) is None or action is None or not name:
        return None
    if action == PolicyAction.block_changes:
        return _block(reader, path, name)
    above = percent_or_fraction(reader, (*when, "incidentBudgetConsumedAbove"))
    if above is None:
        reader.error((*when, "incidentBudgetConsumedAbove"), "is required for require_postmortem")
        return None
    return PolicyRule(name=name, action=action, incident_budget_consumed_above=above)


def _block(reader: Reader, path: Path, name: str) -> PolicyRule | None:
    when = (*path, "when")
    below = percent_or_fraction(reader, (*when, "budgetRemainingBelow"))
    if below is None:
        reader.error((*when, "budgetRemainingBelow"), "is required for block_changes")
        return None
    window = None
    text = reader.text((*when, "window"))
    if text:
        try:
            window = duration_seconds(text)
        except ValueError as exc:
            reader.error((*when, "window"), str(exc))
            return None
    no_data = reader.text((*path, "onNoData"), default=NoDataRule.fail_open.value)
    if no_data not in {r.value for r in NoDataRule}:
        reader.error((*path, "onNoData"), f"{no_data!r} must be fail_open or fail_closed")
        return None
    return PolicyRule(
        name=name,
        action=PolicyAction.block_changes,
        budget_remaining_below=below,
        window_seconds=window,
        exempt_change_types=_strings(reader, (*path, "except")),
        on_no_data=NoDataRule(no_data),
    )
