"""The QR token format, checked against the worked example of docs/ecard-qr.md."""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcard.core.sm2 import SM2PrivateKey
from healthcard.ecard import qrtoken
from healthcard.ecard.exceptions import QrRefused

DOC = (Path(__file__).resolve().parents[2] / "docs" / "ecard-qr.md").read_text(encoding="utf-8")
ISSUER = "12370600MB0000000X"
ISSUED = 1798761600


def _doc_example() -> tuple[str, str, str]:
    """The public key, the 72 signed bytes and the QR text, as the document prints them."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", DOC, flags=re.S | re.M)
    public = next(b.strip() for b in blocks if re.fullmatch(r"04[0-9a-f]{128}\s*", b))
    body = "".join(
        line.split()[0]
        for block in blocks
        if "version" in block and "nonce" in block and "{" not in block
        for line in block.splitlines()
    )
    text = next(b.strip("\n") for b in blocks if b.startswith("HC1:"))
    return public, body, text


def _keys_document(public_hex: str, kid: str, **entry: object) -> dict[str, object]:
    key = {
        "kid": kid,
        "status": "active",
        "public_key_hex": public_hex,
        "not_before": ISSUED - 86400,
        "not_after": None,
    }
    key.update(entry)
    return {"issuer": ISSUER, "version": 1, "keys": [key]}


def test_worked_example_of_the_document_verifies_offline() -> None:
    public, body, text = _doc_example()
    assert len(text) == 208
    token = qrtoken.read(text)
    assert token.body.hex() == body
    claims = token.claims
    assert claims.kind is qrtoken.Kind.DYNAMIC
    assert claims.ecard_id.hex() == "00112233445566778899aabbccddeeff"
    assert (claims.issuer, claims.issued_at, claims.expires_at) == (ISSUER, ISSUED, ISSUED + 60)
    assert claims.nonce.hex() == "0102030405060708090a0b0c"
    keys = _keys_document(public, claims.kid)
    assert qrtoken.verify_offline(text, keys, now=ISSUED + 59).claims == claims
    with pytest.raises(QrRefused) as expired:
        qrtoken.verify_offline(text, keys, now=ISSUED + 60)
    assert expired.value.code == "qr_expired"


def test_document_key_is_the_standard_example_key_and_kid_its_fingerprint() -> None:
    public, _, text = _doc_example()
    d = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
    key = SM2PrivateKey.from_private_value(d).public_key()
    assert key.to_uncompressed().hex() == public
    assert qrtoken.read(text).claims.kid == key.fingerprint()[:8]


@pytest.mark.parametrize("offset", [0, 1, 2, 20, 40, 51, 58, 65, 71, 72, 135])
def test_any_changed_byte_is_refused(offset: int) -> None:
    public, _, text = _doc_example()
    data = bytearray(qrtoken.decode(text))
    data[offset] ^= 0x01
    keys = _keys_document(public, "e6a4f976")
    with pytest.raises(QrRefused) as refused:
        qrtoken.verify_offline(qrtoken.encode(bytes(data)), keys, now=ISSUED + 1)
    assert refused.value.code in {"qr_malformed", "qr_unknown_key", "qr_bad_signature"}
    if 44 <= offset < 72 or offset >= 72 or 2 <= offset < 18:
        assert refused.value.code == "qr_bad_signature"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HC2:ABC", "qr_malformed"),
        ("HC1:!!!", "qr_malformed"),
        ("HC1:" + qrtoken.encode(b"\x01" * 100)[4:], "qr_malformed"),
        ("", "qr_malformed"),
    ],
)
def test_malformed_texts(text: str, code: str) -> None:
    with pytest.raises(QrRefused) as refused:
        qrtoken.read(text)
    assert refused.value.code == code


def _signed(key: SM2PrivateKey, kid: str, **fields: object) -> str:
    claims = qrtoken.Claims(
        kind=qrtoken.Kind.DYNAMIC,
        ecard_id=secrets.token_bytes(16),
        issuer=ISSUER,
        kid=kid,
        issued_at=ISSUED,
        expires_at=ISSUED + 60,
        nonce=secrets.token_bytes(12),
    )
    claims = qrtoken.Claims(**{**claims.__dict__, **fields})  # type: ignore[arg-type]
    return qrtoken.encode(qrtoken.sign(claims, key))


def test_key_rules_offline() -> None:
    key = SM2PrivateKey.generate()
    public = key.public_key().to_uncompressed().hex()
    kid = key.public_key().fingerprint()[:8]
    text = _signed(key, kid)
    cases = [
        (_keys_document(public, "00000000"), ISSUED + 1, "qr_unknown_key"),
        ({**_keys_document(public, kid), "issuer": "12370600MB0000001X"}, ISSUED, "qr_unknown_key"),
        (_keys_document(public, kid, status="revoked"), ISSUED + 1, "qr_key_revoked"),
        (
            _keys_document(public, kid, status="retired", not_after=ISSUED + 10),
            ISSUED + 11,
            "qr_key_retired",
        ),
        (_keys_document(public, kid), ISSUED - 301, "qr_not_yet_valid"),
    ]
    for document, now, code in cases:
        with pytest.raises(QrRefused) as refused:
            qrtoken.verify_offline(text, document, now=now)
        assert refused.value.code == code
    retired = _keys_document(public, kid, status="retired", not_after=ISSUED + 10)
    assert qrtoken.verify_offline(text, retired, now=ISSUED + 5)
    other = SM2PrivateKey.generate().public_key().to_uncompressed().hex()
    with pytest.raises(QrRefused) as forged:
        qrtoken.verify_offline(text, _keys_document(other, kid), now=ISSUED + 1)
    assert forged.value.code == "qr_bad_signature"


def test_text_is_qr_alphanumeric() -> None:
    key = SM2PrivateKey.generate()
    text = _signed(key, "abcdef01")
    assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", text)
    assert len(text) == 208


@given(st.text(max_size=300))
def test_read_refuses_garbage_only_with_a_refusal(text: str) -> None:
    with contextlib.suppress(QrRefused):
        qrtoken.read("HC1:" + text)  # any other exception fails the test


@given(st.binary(min_size=136, max_size=136))
def test_random_bytes_never_verify(data: bytes) -> None:
    public = SM2PrivateKey.from_private_value(7).public_key().to_uncompressed().hex()
    with pytest.raises(QrRefused):
        qrtoken.verify_offline(qrtoken.encode(data), _keys_document(public, "e6a4f976"))
