"""Sensitive values at rest: SM4-GCM sealed, found through keyed SM3-HMAC blind indexes."""

from __future__ import annotations

from healthcard.core.config import Settings
from healthcard.core.crypto import derive_key, hmac_sm3, seal, unseal


def seal_value(settings: Settings, kind: str, value: str) -> str:
    """Encrypt ``value`` (an ID number, a phone) for storage; ``kind`` separates the keys."""
    return seal(
        derive_key(settings.secret_key, f"pii/{kind}"), value.encode(), associated=kind.encode()
    )


def unseal_value(settings: Settings, kind: str, sealed: str) -> str:
    """Decrypt a value sealed with :func:`seal_value`."""
    key = derive_key(settings.secret_key, f"pii/{kind}")
    return unseal(key, sealed, associated=kind.encode()).decode()


def blind_index(settings: Settings, kind: str, value: str) -> str:
    """The keyed digest an exact look-up compares, so the clear value is never queried."""
    return hmac_sm3(derive_key(settings.secret_key, f"index/{kind}"), value.encode()).hex()
