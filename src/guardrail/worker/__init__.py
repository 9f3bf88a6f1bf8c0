"""The background worker: runs the outbox's jobs and the periodic schedules."""
