"""Slack: Block Kit messages with approve/reject buttons out, signed interactions in."""
