"""Release and deployment management: deliveries from Git and CI, lead times, failure links,
rework, and the canary judge."""
