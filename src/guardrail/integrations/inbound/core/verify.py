"""Signature and token schemes shared by sources, all compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from guardrail.integrations.inbound.core.types import Delivery, Verifier
from guardrail.integrations.models import Integration


def hash_secret(secret: str) -> str:
    """Secrets are random, so a plain SHA-256 is enough to keep them."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hmac_header(header: str, prefix: str = "sha256=") -> Verifier:
    """``header`` carries ``prefix`` + hex HMAC-SHA256(secret, raw body) (GitHub's scheme)."""

    def verify(integration: Integration, delivery: Delivery) -> bool:
        presented = delivery.header(header)
        if not presented or not integration.secret:
            return False
        expected = prefix + hmac_sha256_hex(integration.secret, delivery.body)
        return hmac.compare_digest(presented.strip().encode(), expected.encode())

    return verify


def token_header(header: str) -> Verifier:
    """``header`` carries the secret itself (GitLab's scheme); compared against its hash."""

    def verify(integration: Integration, delivery: Delivery) -> bool:
        presented = delivery.header(header)
        return _matches(integration, presented)

    return verify


def bearer_token() -> Verifier:
    """``Authorization: Bearer <secret>``; compared against its hash."""

    def verify(integration: Integration, delivery: Delivery) -> bool:
        value = delivery.header("authorization") or ""
        scheme, _, token = value.partition(" ")
        return scheme.lower() == "bearer" and _matches(integration, token.strip())

    return verify


def _matches(integration: Integration, presented: str | None) -> bool:
    if not presented or not integration.secret_hash:
        return False
    return hmac.compare_digest(hash_secret(presented), integration.secret_hash)
