"""GitLab webhooks: push, merge_request, pipeline, deployment."""
