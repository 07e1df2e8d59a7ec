"""SM2 signatures: the standard's example, an independent implementation (gmssl), keys, threads.

Published values asserted (GB/T 32918.5-2017 Annex A, = GM/T 0003.5-2012 Annex A: the signature
example on the recommended curve, message "message digest", ID "1234567812345678"): the private
key dA, the public key (xA, yA), Z_A, e, the nonce k, the point (x1, y1) = [k]G, and the signature
(r, s). OpenSSL takes its nonce from its CSPRNG, so our signer cannot reproduce (r, s) itself;
instead the published signature must verify with the published key, our Z_A and e must equal the
published ones, and r and s must follow from e, k, (x1, y1) and dA by the standard's equations.
(The older 2010 draft's example used the ID "ALICE123@YAHOO.COM" and another curve: not this one.)
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from gmssl import sm2 as gmssl_sm2
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcard.core import sm2
from healthcard.core.crypto import sm3_hex
from healthcard.core.sm2 import (
    DEFAULT_ID,
    N,
    SM2Error,
    SM2PrivateKey,
    SM2PublicKey,
    e_value,
    z_value,
)

# GB/T 32918.5-2017 Annex A (GM/T 0003.5-2012 Annex A), digital signature example.
ANNEX_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
ANNEX_XA = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
ANNEX_YA = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
ANNEX_MESSAGE = b"message digest"
ANNEX_ID = b"1234567812345678"
ANNEX_Z = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
ANNEX_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
ANNEX_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
ANNEX_X1 = "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
ANNEX_Y1 = "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
ANNEX_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
ANNEX_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"

ANNEX_POINT = bytes.fromhex("04" + ANNEX_XA + ANNEX_YA)
ANNEX_SIGNATURE = bytes.fromhex(ANNEX_R + ANNEX_S)

KEY = SM2PrivateKey.generate()


def der(r: int, s: int) -> bytes:
    """DER SEQUENCE {r, s}, written out here independently of the module's encoder."""
    body = _der_integer(r) + _der_integer(s)
    return b"\x30" + bytes([len(body)]) + body


def gmssl_for(public: SM2PublicKey, private: SM2PrivateKey | None = None) -> gmssl_sm2.CryptSM2:
    """gmssl's SM2 for a key. Its constructor lstrip("04")s the key, so set x||y afterwards."""
    xy = public.to_uncompressed()[1:].hex()
    crypt = gmssl_sm2.CryptSM2(
        private_key=private.private_value().hex() if private else "", public_key=xy, mode=1
    )
    crypt.public_key = xy
    return crypt


def gmssl_sign(private: SM2PrivateKey, message: bytes) -> bytes:
    """A gmssl signature (r||s) with a nonce from `secrets`, not gmssl's `random`."""
    k = secrets.randbelow(N - 1) + 1
    signature = gmssl_for(private.public_key(), private).sign_with_sm3(message, f"{k:064x}")
    return bytes.fromhex(signature)


# -- the standard's example -------------------------------------------------------------------


def test_annex_a_public_key_derives_from_the_private_key() -> None:
    key = SM2PrivateKey.from_private_value(ANNEX_D)
    assert key.public_key().to_uncompressed() == ANNEX_POINT
    assert key.private_value() == ANNEX_D.to_bytes(32, "big")


def test_annex_a_z_and_e() -> None:
    public = SM2PublicKey.from_uncompressed(ANNEX_POINT)
    assert z_value(public, ANNEX_ID).hex().upper() == ANNEX_Z
    assert e_value(public, ANNEX_MESSAGE, ANNEX_ID).hex().upper() == ANNEX_E
    assert DEFAULT_ID == ANNEX_ID


def test_annex_a_signature_verifies() -> None:
    public = SM2PublicKey.from_uncompressed(ANNEX_POINT)
    assert public.verify(ANNEX_SIGNATURE, ANNEX_MESSAGE, user_id=ANNEX_ID)
    assert public.verify(ANNEX_SIGNATURE, ANNEX_MESSAGE)  # the default ID is the standard's
    assert public.verify(der(int(ANNEX_R, 16), int(ANNEX_S, 16)), ANNEX_MESSAGE)
    assert not public.verify(ANNEX_SIGNATURE, b"message digesT")
    assert not public.verify(ANNEX_SIGNATURE, ANNEX_MESSAGE, user_id=b"ALICE123@YAHOO.COM")
    assert not public.verify(ANNEX_SIGNATURE, ANNEX_MESSAGE, user_id=b"")  # OpenSSL's default


def test_annex_a_signature_follows_from_k_by_the_standards_equations() -> None:
    kg = SM2PrivateKey.from_private_value(ANNEX_K).public_key().to_uncompressed()
    assert kg.hex().upper() == "04" + ANNEX_X1 + ANNEX_Y1
    e, x1, r, s = (int(v, 16) for v in (ANNEX_E, ANNEX_X1, ANNEX_R, ANNEX_S))
    assert r == (e + x1) % N
    assert s == pow(1 + ANNEX_D, -1, N) * (ANNEX_K - r * ANNEX_D) % N


def test_gmssl_reproduces_the_annex_a_signature_with_its_k() -> None:
    private = SM2PrivateKey.from_private_value(ANNEX_D)
    signature = gmssl_for(private.public_key(), private).sign_with_sm3(
        ANNEX_MESSAGE, f"{ANNEX_K:064x}"
    )
    assert signature.upper() == ANNEX_R + ANNEX_S


# -- signing and verifying --------------------------------------------------------------------


def test_sign_and_verify_round_trip() -> None:
    signature = KEY.sign(b"card 4401 issued")
    assert len(signature) == 64
    assert KEY.public_key().verify(signature, b"card 4401 issued")
    der_signature = KEY.sign_der(b"card 4401 issued")
    assert der_signature[0] == 0x30
    assert KEY.public_key().verify(der_signature, b"card 4401 issued")


def test_raw_and_der_are_the_same_signature() -> None:
    raw = KEY.sign(b"x")
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    assert KEY.public_key().verify(der(r, s), b"x")
    der_signature = KEY.sign_der(b"x")
    assert der_signature == der(*_der_values(der_signature))


def _der_values(der_signature: bytes) -> tuple[int, int]:
    r_len = der_signature[3]
    r = int.from_bytes(der_signature[4 : 4 + r_len], "big")
    s = int.from_bytes(der_signature[6 + r_len :], "big")
    return r, s


def test_nonces_are_fresh() -> None:
    first, second = KEY.sign(b"same message"), KEY.sign(b"same message")
    assert first != second
    assert KEY.public_key().verify(first, b"same message")
    assert KEY.public_key().verify(second, b"same message")


def test_tampering_is_detected() -> None:
    public = KEY.public_key()
    signature = KEY.sign(b"blood type: A")
    assert not public.verify(signature, b"blood type: B")
    for index in (0, 31, 32, 63):  # a bit of r, of s
        flipped = bytearray(signature)
        flipped[index] ^= 0x01
        assert not public.verify(bytes(flipped), b"blood type: A")
    assert not public.verify(signature, b"blood type: A", user_id=b"1234567812345679")
    assert not SM2PrivateKey.generate().public_key().verify(signature, b"blood type: A")


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        b"\x00" * 64,  # r = s = 0
        (0).to_bytes(32, "big") + (1).to_bytes(32, "big"),
        N.to_bytes(32, "big") + (1).to_bytes(32, "big"),  # r = n
        (1).to_bytes(32, "big") + N.to_bytes(32, "big"),  # s = n
        b"\xff" * 64,
        b"\x30" * 70,
        b"\x30\x06\x02\x01\x01\x02\x01\x01",
        b"\x01" * 63,
        b"\x01" * 65,
        b"\x01" * 200,
    ],
)
def test_malformed_signatures_are_false_not_errors(signature: bytes) -> None:
    assert KEY.public_key().verify(signature, b"m") is False


def test_der_must_be_strict() -> None:
    der_signature = KEY.sign_der(b"m")
    assert not KEY.public_key().verify(der_signature + b"\x00", b"m")
    r, s = _der_values(der_signature)
    padded_s = b"\x00" + s.to_bytes(s.bit_length() // 8 + 1, "big")  # a needless leading zero
    body = _der_integer(r) + b"\x02" + bytes([len(padded_s)]) + padded_s
    assert not KEY.public_key().verify(b"\x30" + bytes([len(body)]) + body, b"m")


def _der_integer(value: int) -> bytes:
    content = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + bytes([len(content)]) + content


def test_user_ids() -> None:
    public = KEY.public_key()
    signature = KEY.sign(b"m", user_id="居民健康卡".encode())
    assert public.verify(signature, b"m", user_id="居民健康卡".encode())
    assert not public.verify(signature, b"m")
    empty = KEY.sign(b"m", user_id=b"")
    assert public.verify(empty, b"m", user_id=b"")
    assert not public.verify(empty, b"m")
    longest = b"i" * 8190
    assert public.verify(KEY.sign(b"m", user_id=longest), b"m", user_id=longest)
    with pytest.raises(ValueError, match="at most 8190"):
        KEY.sign(b"m", user_id=b"i" * 8191)


@settings(max_examples=60, deadline=None)
@given(message=st.binary(max_size=2048), user_id=st.binary(max_size=64))
def test_any_message_and_id_round_trip(message: bytes, user_id: bytes) -> None:
    public = KEY.public_key()
    signature = KEY.sign(message, user_id=user_id)
    assert public.verify(signature, message, user_id=user_id)
    assert not public.verify(signature, message + b"\x00", user_id=user_id)
    assert public.verify(KEY.sign_der(message, user_id=user_id), message, user_id=user_id)


# -- the independent implementation (gmssl) ---------------------------------------------------


@pytest.mark.parametrize("private", [SM2PrivateKey.from_private_value(ANNEX_D), KEY])
def test_gmssl_verifies_our_signatures(private: SM2PrivateKey) -> None:
    crypt = gmssl_for(private.public_key())
    signature = private.sign(ANNEX_MESSAGE)
    assert crypt.verify_with_sm3(signature.hex(), ANNEX_MESSAGE)
    assert not crypt.verify_with_sm3(signature.hex(), ANNEX_MESSAGE + b"!")


@pytest.mark.parametrize("private", [SM2PrivateKey.from_private_value(ANNEX_D), KEY])
def test_we_verify_gmssl_signatures(private: SM2PrivateKey) -> None:
    signature = gmssl_sign(private, b"record 17 amended")
    assert private.public_key().verify(signature, b"record 17 amended")
    assert not private.public_key().verify(signature, b"record 18 amended")


def test_gmssl_mangles_04_prefixed_keys_but_we_do_not() -> None:
    naive = gmssl_sm2.CryptSM2(private_key="", public_key=ANNEX_POINT.hex(), mode=1)
    assert naive.public_key == ANNEX_POINT.hex()[3:]  # lstrip("04") ate "040" of "04 09f9..."
    with_prefix = SM2PublicKey.from_uncompressed(ANNEX_POINT)
    without_prefix = SM2PublicKey.from_uncompressed(ANNEX_POINT[1:])
    assert with_prefix == without_prefix
    assert with_prefix.to_uncompressed() == ANNEX_POINT
    assert without_prefix.verify(ANNEX_SIGNATURE, ANNEX_MESSAGE)


# -- keys -------------------------------------------------------------------------------------


def test_private_values() -> None:
    value = KEY.private_value()
    assert len(value) == 32
    assert SM2PrivateKey.from_private_value(value).public_key() == KEY.public_key()
    assert SM2PrivateKey.from_private_value(int.from_bytes(value, "big")).private_value() == value
    for bad in (0, N - 1, N, b"\x01" * 31):
        with pytest.raises(ValueError, match="private value"):
            SM2PrivateKey.from_private_value(bad)


def test_public_points() -> None:
    point = KEY.public_key().to_uncompressed()
    assert len(point) == 65
    assert point[0] == 4
    assert SM2PublicKey.from_uncompressed(point) == KEY.public_key()
    off_curve = point[:-1] + bytes([point[-1] ^ 1])
    with pytest.raises(SM2Error, match="not on curve"):
        SM2PublicKey.from_uncompressed(off_curve)
    for bad in (point[:-2], b"\x02" + point[1:], b"\x05" + point[1:33]):
        with pytest.raises(ValueError, match="04"):
            SM2PublicKey.from_uncompressed(bad)


def test_fingerprint_is_sm3_of_the_point() -> None:
    public = KEY.public_key()
    assert public.fingerprint() == sm3_hex(public.to_uncompressed())
    assert len({public, SM2PublicKey.from_uncompressed(public.to_uncompressed())}) == 1
    assert public.fingerprint()[:16] in repr(public)


def test_pem_round_trips() -> None:
    pem = KEY.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert SM2PrivateKey.from_pem(pem).private_value() == KEY.private_value()
    public_pem = KEY.public_key().to_pem()
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert SM2PublicKey.from_pem(public_pem) == KEY.public_key()
    loaded = SM2PrivateKey.from_pem(pem)
    assert KEY.public_key().verify(loaded.sign(b"m"), b"m")


def test_encrypted_pem() -> None:
    password = b"\xe5\xaf\x86\x00 word"  # non-ASCII and a NUL byte survive
    pem = KEY.to_pem(password)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert KEY.private_value().hex().encode() not in pem
    assert SM2PrivateKey.from_pem(pem, password).private_value() == KEY.private_value()
    with pytest.raises(SM2Error, match="wrong password"):
        SM2PrivateKey.from_pem(pem, b"\xe5\xaf\x86")
    with pytest.raises(SM2Error, match="give its password"):
        SM2PrivateKey.from_pem(pem)
    with pytest.raises(ValueError, match="not encrypted"):
        SM2PrivateKey.from_pem(KEY.to_pem(), password)
    with pytest.raises(ValueError, match="empty password"):
        KEY.to_pem(b"")


def test_keys_of_other_curves_and_garbage_are_refused() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    pem = p256.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SM2Error, match="not on the SM2 curve"):
        SM2PrivateKey.from_pem(pem)
    public_pem = p256.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SM2Error, match="not on the SM2 curve"):
        SM2PublicKey.from_pem(public_pem)
    with pytest.raises(SM2Error, match=r"reading the private key PEM: .*routines"):
        SM2PrivateKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SM2Error, match="reading the public key PEM"):
        SM2PublicKey.from_pem(KEY.to_pem())


def test_openssl_error_queue_is_left_empty() -> None:
    KEY.public_key().verify(b"\x00" * 64, b"m")
    with pytest.raises(SM2Error):
        SM2PrivateKey.from_pem(b"not a pem")
    with pytest.raises(SM2Error):
        SM2PrivateKey.from_pem(KEY.to_pem(b"pw"), b"bad")
    assert sm2._lib.ERR_get_error() == 0


# -- threads ----------------------------------------------------------------------------------


def test_concurrent_signing_from_eight_threads() -> None:
    start = threading.Barrier(8)

    def work(worker: int) -> list[tuple[bytes, bytes]]:
        start.wait()
        messages = [f"worker {worker} message {i}".encode() for i in range(40)]
        return [(m, KEY.sign(m)) for m in messages]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for batch in pool.map(work, range(8)) for pair in batch]
    assert len(results) == 320
    assert len({signature for _, signature in results}) == 320
    public = KEY.public_key()
    assert all(public.verify(signature, message) for message, signature in results)
