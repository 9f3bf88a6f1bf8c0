"""Starting pipelines: GitHub workflow_dispatch, GitLab pipeline triggers, a generic webhook."""
