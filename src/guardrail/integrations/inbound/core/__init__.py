"""The inbound-integration core: typed integrations, verification, the raw-event store, dispatch.

Every webhook follows one path: verify the delivery, store it raw and idempotently, enqueue a
processing job, answer fast. Sources describe themselves declaratively (see ``types``).
"""
