"""What the hub keeps of a secret it hands out (invitation and reset tokens, refresh tokens,
API keys): its SHA-256, enough to find it again, never the secret itself. The secrets carry
256 random bits, so a plain hash is as good as a slow one."""

from __future__ import annotations

import hashlib


def digest(secret: str) -> str:
    """The hex SHA-256 a secret is stored and looked up by."""
    return hashlib.sha256(secret.encode()).hexdigest()
