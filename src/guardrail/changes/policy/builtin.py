"""The guardrails that apply when neither the service nor the organisation stored any."""

from __future__ import annotations

from functools import cache
from typing import Any

from guardrail.changes.policy.document import digest, parse

# The example from DESIGN.md: block on security findings, auto-approve low-risk changes that
# pass compliance, and ask for a review of high and critical ones.
BUILTIN_GUARDRAILS = """\
# guardrails.yaml
- step: static_security_scan
  on_fail: block_deploy
- step: compliance_check
  if: change.risk == 'low'
  on_pass: auto_approve
- step: manual_security_review
  if: change.risk in ['high','critical']
  on_approve: continue
"""


@cache
def builtin_document() -> tuple[dict[str, Any], str]:
    """The built-in document and its digest."""
    document = parse(BUILTIN_GUARDRAILS)
    return document, digest(document)
