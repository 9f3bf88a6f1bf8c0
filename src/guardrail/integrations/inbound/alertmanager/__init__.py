"""Prometheus Alertmanager's webhook (version 4)."""
