"""Encryption at rest for payment-provider secrets (Fernet, key derived from SECRET_KEY)."""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretUnavailable(RuntimeError):
    """The stored secret cannot be decrypted (SECRET_KEY changed?)."""


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(("payment-secrets:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(plaintext: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str, secret_key: str) -> str:
    if not token:
        raise SecretUnavailable("no secret stored")
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnavailable("the stored secret cannot be decrypted with the current SECRET_KEY") from None


def mask(value: str) -> str:
    """What the admin sees of a stored secret: its length class only."""
    return "••••••••" if value else ""
