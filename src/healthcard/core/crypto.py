"""Commercial cryptography (国密) primitives the platform builds on.

SM3, HMAC-SM3 and SM4-GCM come from ``cryptography`` (OpenSSL); nothing here is hand-rolled.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905) of ``data``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes) -> str:
    """SM3 digest as lower-case hex."""
    return sm3(data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC with SM3 (keyed digest for blind indexes and token hashes)."""
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token from the operating system's CSPRNG."""
    return secrets.token_urlsafe(nbytes)


def token_digest(secret_key: str, token: str) -> str:
    """What we store for a bearer secret: HMAC-SM3 under the server key."""
    return hmac_sm3(secret_key.encode(), token.encode()).hex()


def digests_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return std_hmac.compare_digest(a.encode(), b.encode())


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A 128-bit SM4 key for one purpose, derived from the server secret with HMAC-SM3."""
    return hmac_sm3(secret_key.encode(), b"healthcard/" + purpose.encode())[:16]


def seal(key: bytes, plaintext: bytes, *, associated: bytes = b"") -> str:
    """SM4-GCM encrypt; returns ``v1.<nonce>.<ciphertext+tag>`` in URL-safe base64."""
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    body = encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag
    return "v1." + _b64(nonce) + "." + _b64(body)


def unseal(key: bytes, sealed: str, *, associated: bytes = b"") -> bytes:
    """Reverse :func:`seal`; raises ``InvalidTag`` if the value or its context was altered."""
    version, nonce_text, body_text = sealed.split(".")
    if version != "v1":
        raise ValueError(f"unknown sealed-value version {version!r}")
    nonce, body = _unb64(nonce_text), _unb64(body_text)
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-16:])).decryptor()
    decryptor.authenticate_additional_data(associated)
    return decryptor.update(body[:-16]) + decryptor.finalize()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
