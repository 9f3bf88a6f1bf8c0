"""On-call: schedules, escalation policies and runs, notifications and their delivery log."""
