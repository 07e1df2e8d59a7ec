"""SM3 and SM4 against the standards' vectors; sealing detects tampering."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from healthcard.core.crypto import derive_key, hmac_sm3, seal, sm3_hex, token_digest, unseal


def test_sm3_standard_vector() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm4_standard_vector() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    ecb = modes.ECB()  # noqa: S305 - the standard publishes a single-block vector
    encryptor = Cipher(algorithms.SM4(key), ecb).encryptor()
    assert (
        encryptor.update(key) + encryptor.finalize()
    ).hex() == "681edf34d206965e86b3e94f536e4246"


def test_hmac_sm3_depends_on_key() -> None:
    assert hmac_sm3(b"k1", b"data") != hmac_sm3(b"k2", b"data")
    assert token_digest("secret", "t") == token_digest("secret", "t")
    assert len(token_digest("secret", "t")) == 64


@given(st.binary(max_size=512), st.binary(max_size=32))
def test_seal_round_trip(plaintext: bytes, associated: bytes) -> None:
    key = derive_key("server-secret", "test")
    assert (
        unseal(key, seal(key, plaintext, associated=associated), associated=associated) == plaintext
    )


def test_seal_detects_tampering_and_wrong_context() -> None:
    key = derive_key("server-secret", "test")
    sealed = seal(key, b"JBSWY3DPEHPK3PXP", associated=b"staff:1")
    version, nonce, body = sealed.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(InvalidTag):
        unseal(key, f"{version}.{nonce}.{flipped}", associated=b"staff:1")
    with pytest.raises(InvalidTag):
        unseal(key, sealed, associated=b"staff:2")  # moved to another user's row
    with pytest.raises(InvalidTag):
        unseal(derive_key("other-secret", "test"), sealed, associated=b"staff:1")
