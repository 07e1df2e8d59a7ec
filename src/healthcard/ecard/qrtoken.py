"""The e-card QR token: its binary layout, Base45 text form, and offline verification.

Pure: no database, no settings. A terminal vendor's verifier does exactly what
:func:`verify_offline` does, from ``docs/ecard-qr.md`` and the keys JSON published at
``GET /api/v1/ecards/keys``. The layout (version 1, 136 bytes, big-endian)::

    offset size  field
         0    1  version (0x01)
         1    1  kind (0x01 dynamic, 0x02 static)
         2   16  e-card id (opaque random bytes, not a database id)
        18   18  issuer code (ASCII, the issuing centre's 18-character USCC)
        36    8  key id (ASCII, 8 lower-case hex digits)
        44    8  issued-at (unsigned, unix seconds)
        52    8  expires-at (unsigned, unix seconds)
        60   12  nonce (random)
        72   64  SM2 signature r||s over bytes 0..71 (SM3, user ID "1234567812345678")

The text is ``HC1:`` followed by the Base45 (RFC 9285) encoding of the 136 bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Final

import base45

from healthcard.core.sm2 import SM2PrivateKey, SM2PublicKey
from healthcard.ecard.exceptions import (
    QrBadSignature,
    QrExpired,
    QrKeyRetired,
    QrKeyRevoked,
    QrMalformed,
    QrNotYetValid,
    QrUnknownKey,
)

PREFIX: Final = "HC1:"
VERSION: Final = 1
ECARD_ID_BYTES: Final = 16
ISSUER_BYTES: Final = 18
KID_BYTES: Final = 8
NONCE_BYTES: Final = 12
SIGNATURE_BYTES: Final = 64
_BODY: Final = struct.Struct(">BB16s18s8sQQ12s")
BODY_BYTES: Final = _BODY.size  # 72
TOKEN_BYTES: Final = BODY_BYTES + SIGNATURE_BYTES  # 136
CLOCK_SKEW_SECONDS: Final = 300  # a terminal clock may run this far behind the platform's


class Kind(IntEnum):
    DYNAMIC = 1
    STATIC = 2


@dataclass(frozen=True)
class Claims:
    """The signed fields of a token."""

    kind: Kind
    ecard_id: bytes
    issuer: str
    kid: str
    issued_at: int
    expires_at: int
    nonce: bytes
    version: int = VERSION

    def body(self) -> bytes:
        """The exact 72 bytes the signature covers."""
        _check_claims(self)
        return _BODY.pack(
            self.version,
            int(self.kind),
            self.ecard_id,
            self.issuer.encode("ascii"),
            self.kid.encode("ascii"),
            self.issued_at,
            self.expires_at,
            self.nonce,
        )


@dataclass(frozen=True)
class Token:
    """A parsed token: its claims, the signed bytes and the signature."""

    claims: Claims
    body: bytes
    signature: bytes


def _check_claims(claims: Claims) -> None:
    sizes = (
        (claims.ecard_id, ECARD_ID_BYTES),
        (claims.issuer.encode("ascii"), ISSUER_BYTES),
        (claims.kid.encode("ascii"), KID_BYTES),
        (claims.nonce, NONCE_BYTES),
    )
    if any(len(value) != size for value, size in sizes):
        raise ValueError("a field of the QR token has the wrong length")
    if not 0 <= claims.issued_at < claims.expires_at < 2**64:
        raise ValueError("a QR token must expire after it is issued")


def sign(claims: Claims, key: SM2PrivateKey) -> bytes:
    """The 136 bytes of a token: the claims and their SM2 signature."""
    body = claims.body()
    return body + key.sign(body)


def encode(token: bytes) -> str:
    """The QR text: ``HC1:`` and Base45 (QR alphanumeric mode only)."""
    encoded: bytes = base45.b45encode(token)
    return PREFIX + encoded.decode("ascii")


def decode(text: str) -> bytes:
    """The token bytes of a QR text; refuses a wrong prefix or invalid Base45."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise QrMalformed("二维码不是电子健康卡码（应以 HC1: 开头）。")
    try:
        return bytes(base45.b45decode(text[len(PREFIX) :]))
    except (ValueError, KeyError, TypeError) as error:
        raise QrMalformed("二维码内容不是合法的 Base45 编码（可能被篡改或扫描不全）。") from error


def parse(data: bytes) -> Token:
    """Split token bytes into claims and signature; refuses a wrong length, version or kind."""
    if len(data) != TOKEN_BYTES:
        raise QrMalformed(f"二维码数据长度应为 {TOKEN_BYTES} 字节，实际为 {len(data)} 字节。")
    body, signature = data[:BODY_BYTES], data[BODY_BYTES:]
    version, kind, ecard_id, issuer, kid, issued, expires, nonce = _BODY.unpack(body)
    if version != VERSION:
        raise QrMalformed(f"不支持的二维码版本 {version}（本平台为版本 {VERSION}）。")
    if kind not in (Kind.DYNAMIC, Kind.STATIC):
        raise QrMalformed("二维码类型字段无效。")
    try:
        claims = Claims(
            kind=Kind(kind),
            ecard_id=ecard_id,
            issuer=issuer.decode("ascii"),
            kid=kid.decode("ascii"),
            issued_at=issued,
            expires_at=expires,
            nonce=nonce,
            version=version,
        )
        _check_claims(claims)
    except (UnicodeDecodeError, ValueError) as error:
        raise QrMalformed("二维码字段内容无效（可能被篡改）。") from error
    return Token(claims=claims, body=body, signature=signature)


def read(text: str) -> Token:
    """Decode and parse a QR text (no signature check)."""
    return parse(decode(text))


@dataclass(frozen=True)
class PublishedKey:
    """One entry of the published keys JSON, as a verifier uses it."""

    kid: str
    public_key: bytes
    status: str  # active | retired | revoked
    not_before: int
    not_after: int | None  # retired keys: codes must be issued and checked before this


def keys_from_json(document: Mapping[str, Any]) -> dict[str, PublishedKey]:
    """The keys of a ``GET /api/v1/ecards/keys`` document, by key id."""
    keys = {}
    for entry in document["keys"]:
        keys[entry["kid"]] = PublishedKey(
            kid=entry["kid"],
            public_key=bytes.fromhex(entry["public_key_hex"]),
            status=entry["status"],
            not_before=int(entry["not_before"]),
            not_after=None if entry.get("not_after") is None else int(entry["not_after"]),
        )
    return keys


def check(
    token: Token,
    keys: Mapping[str, PublishedKey],
    *,
    issuer: str,
    now: int,
    public_key: Callable[[bytes], SM2PublicKey] = SM2PublicKey.from_uncompressed,
) -> PublishedKey:
    """Every check a verifier can make without the platform; answers the key that signed.

    In this order: issuer and key id known, key not revoked, signature, key still valid when
    the code was issued and now, the code's validity window.
    """
    claims = token.claims
    key = keys.get(claims.kid)
    if key is None or claims.issuer != issuer:
        raise QrUnknownKey()
    if key.status == "revoked":
        raise QrKeyRevoked()
    try:
        verifier = public_key(key.public_key)
    except ValueError as error:
        raise QrUnknownKey("公钥列表中的公钥无效，请更新终端的平台公钥列表。") from error
    if not verifier.verify(token.signature, token.body):
        raise QrBadSignature()
    if key.not_after is not None and (claims.issued_at > key.not_after or now > key.not_after):
        raise QrKeyRetired()
    if claims.issued_at > now + CLOCK_SKEW_SECONDS:
        raise QrNotYetValid()
    if now >= claims.expires_at:
        raise QrExpired()
    return key


def verify_offline(text: str, keys_document: Mapping[str, Any], *, now: int | None = None) -> Token:
    """Verify a QR text with only the published keys JSON, as an offline terminal does."""
    token = read(text)
    moment = int(datetime.now(UTC).timestamp()) if now is None else now
    check(token, keys_from_json(keys_document), issuer=keys_document["issuer"], now=moment)
    return token
