"""Secret values at rest (secret variables, client-certificate keys): sealed with AES-256-GCM under
the operator's `secrets_key`, so a database dump does not give them away. A sealed value reads
`v1:<base64 nonce+ciphertext>`; without a key a value is kept as `plain:<value>`, and sealed at the
next start with a key (vantage.resealing). Opening a `v1:` value without the key (or with another
one) fails loudly: a secret is never silently replaced."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = "v1:"
PLAIN = "plain:"


Seal = Callable[[str], str]
Open = Callable[[str], str]


def is_sealed(stored: str) -> bool:
    """Whether this stored value went through `Sealer.seal` (with or without a key)."""
    return stored.startswith((SEALED, PLAIN))


class SealError(RuntimeError):
    """A sealed value cannot be opened with the configured key."""


class Sealer:
    def __init__(self, secrets_key: str | None) -> None:
        self._aead = AESGCM(hashlib.sha256(secrets_key.encode()).digest()) if secrets_key else None

    @property
    def encrypts(self) -> bool:
        return self._aead is not None

    def seal(self, value: str) -> str:
        if self._aead is None:
            return PLAIN + value
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), None)
        return SEALED + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str) -> str:
        if stored.startswith(PLAIN):
            return stored[len(PLAIN) :]
        if not stored.startswith(SEALED):
            return stored
        if self._aead is None:
            raise SealError("a secret is sealed and the server has no secrets_key to open it")
        raw = base64.b64decode(stored[len(SEALED) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], None).decode()
        except InvalidTag:
            raise SealError("a secret was sealed with another secrets_key") from None
