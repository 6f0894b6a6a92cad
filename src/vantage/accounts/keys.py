"""API keys: random, prefixed so secret scanners can spot them, stored only as a SHA-256 hash.

A key has 256 bits of entropy, so an unsalted fast hash is enough to make a dump of the table
useless while keeping the lookup one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "vtg_"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 4]
