"""PagerDuty Events API v2, compatible: ``POST /v2/enqueue`` and ``POST /v2/change/enqueue``."""
