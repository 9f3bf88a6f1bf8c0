"""GitHub webhooks: push, pull_request, deployment, deployment_status, workflow_run, check_suite,
release, ping."""
