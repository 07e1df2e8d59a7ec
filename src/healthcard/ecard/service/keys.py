"""Issuer signing keys: the master key, rotation, retirement, revocation, the published list.

Private keys are stored sealed with SM4-GCM under the master key, which is read from the file
named by ``HEALTHCARD_MASTER_KEY_FILE`` and never enters the database or the repository.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.crypto import seal, sm3, unseal
from healthcard.core.db import utcnow
from healthcard.core.errors import Conflict
from healthcard.core.principal import Principal
from healthcard.core.sm2 import DEFAULT_ID, SM2PrivateKey, SM2PublicKey
from healthcard.ecard import qrtoken, repository
from healthcard.ecard.exceptions import MasterKeyMissing, NoSigningKey, SigningKeyNotFound
from healthcard.models import ECardSigningKey

log = logging.getLogger("healthcard.ecard.keys")

DEV_MASTER_KEY = Path("var") / "master.key"
_private_cache: dict[str, SM2PrivateKey] = {}
_public_cache: dict[str, SM2PublicKey] = {}


def master_key(settings: Settings) -> bytes:
    """The 128-bit SM4 key that seals issuer private keys, from the master key file."""
    path = settings.master_key_file
    if path is None:
        if settings.environment == "production":
            raise MasterKeyMissing()
        path = DEV_MASTER_KEY
        if not path.exists():
            _create_dev_master_key(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise MasterKeyMissing(f"无法读取主密钥文件 {path}：{error.strerror}。") from error
    text = raw.strip()
    if len(text) == 32:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    if len(raw) < 16:
        raise MasterKeyMissing(
            f"主密钥文件 {path} 过短：应为 32 个十六进制字符或至少 16 字节随机数。"
        )
    return sm3(raw)[:16]


def _create_dev_master_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(16) + "\n")
    log.warning(
        "created a development master key at %s (0600); set HEALTHCARD_MASTER_KEY_FILE in "
        "production and keep the file out of the repository and backups of the database",
        path,
    )


def _kid_of(public: SM2PublicKey) -> str:
    return public.fingerprint()[:8]


def _associated(kid: str) -> bytes:
    return b"ecard-signing-key:" + kid.encode()


def rotate(session: Session, *, settings: Settings, actor: Principal) -> ECardSigningKey:
    """A new active key; the previous one is retired and verifies until its grace period ends."""
    previous = repository.active_key(session, for_update=True)
    now = utcnow()
    if previous is not None:
        previous.status = "retired"
        previous.retired_at = now
        previous.verify_until = now + timedelta(days=settings.ecard_key_grace_days)
        session.flush()
    private = SM2PrivateKey.generate()
    public = private.public_key()
    kid = _kid_of(public)
    while repository.key_by_kid(session, kid) is not None:  # 32-bit ids: collisions are rare
        private = SM2PrivateKey.generate()
        public = private.public_key()
        kid = _kid_of(public)
    key = ECardSigningKey(
        kid=kid,
        public_key=public.to_uncompressed().hex(),
        private_key_sealed=seal(
            master_key(settings), private.to_pem(None), associated=_associated(kid)
        ),
        status="active",
        created_at=now,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="ecard.key.rotate",
        resource_type="ECardSigningKey",
        resource_id=kid,
        detail={"retired": previous.kid if previous else None, "fingerprint": public.fingerprint()},
    )
    return key


def _key(session: Session, kid: str) -> ECardSigningKey:
    key = repository.key_by_kid(session, kid)
    if key is None:
        raise SigningKeyNotFound(f"签名密钥 {kid} 不存在。")
    return key


def retire(session: Session, *, actor: Principal, kid: str) -> ECardSigningKey:
    """End a retired key's grace period now: codes it signed stop verifying."""
    key = _key(session, kid)
    if key.status == "active":
        raise Conflict("不能停用正在签发的密钥：请先运行 healthcard keys rotate 生成新密钥。")
    if key.status == "revoked":
        raise Conflict(f"密钥 {kid} 已被吊销。")
    key.verify_until = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="ecard.key.retire",
        resource_type="ECardSigningKey",
        resource_id=kid,
    )
    return key


def revoke(session: Session, *, actor: Principal, kid: str, reason: str) -> ECardSigningKey:
    """Revoke a (compromised) key: nothing it signed verifies any more, from now on."""
    key = _key(session, kid)
    if key.status == "revoked":
        raise Conflict(f"密钥 {kid} 已被吊销。")
    key.status = "revoked"
    key.revoked_at = utcnow()
    key.reason = reason
    session.flush()
    _private_cache.pop(kid, None)
    audit.record(
        session,
        actor=actor,
        action="ecard.key.revoke",
        resource_type="ECardSigningKey",
        resource_id=kid,
        detail={"reason": reason},
    )
    return key


def list_keys(session: Session) -> list[ECardSigningKey]:
    """Every issuer key, oldest first."""
    return list(repository.keys(session))


def signing_key(session: Session, *, settings: Settings) -> tuple[str, SM2PrivateKey]:
    """The active key's id and private key (unsealed once per process)."""
    key = repository.active_key(session)
    if key is None:
        raise NoSigningKey()
    cached = _private_cache.get(key.kid)
    if cached is None:
        pem = unseal(master_key(settings), key.private_key_sealed, associated=_associated(key.kid))
        cached = SM2PrivateKey.from_pem(pem)
        _private_cache[key.kid] = cached
    return key.kid, cached


def public_key(point: bytes) -> SM2PublicKey:
    """A verifier for a published point (parsed once per process)."""
    hexed = point.hex()
    cached = _public_cache.get(hexed)
    if cached is None:
        cached = SM2PublicKey.from_uncompressed(point)
        _public_cache[hexed] = cached
    return cached


def _unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def published(session: Session, *, settings: Settings) -> dict[str, Any]:
    """The keys document terminals download for offline verification (docs/ecard-qr.md)."""
    entries = []
    for key in repository.keys(session):
        point = bytes.fromhex(key.public_key)
        entries.append(
            {
                "kid": key.kid,
                "status": key.status,
                "public_key_hex": key.public_key,
                "public_key_pem": public_key(point).to_pem().decode("ascii"),
                "fingerprint_sm3": public_key(point).fingerprint(),
                "not_before": _unix(key.created_at),
                "not_after": _unix(key.revoked_at if key.status == "revoked" else key.verify_until),
                "revoked_at": _unix(key.revoked_at),
            }
        )
    return {
        "format": qrtoken.PREFIX.rstrip(":"),
        "version": qrtoken.VERSION,
        "issuer": settings.ecard_issuer_code,
        "algorithm": "SM2-SM3",
        "user_id": DEFAULT_ID.decode("ascii"),
        "generated_at": int(utcnow().timestamp()),
        "keys": entries,
    }


def published_keys(session: Session) -> dict[str, qrtoken.PublishedKey]:
    """The keys as the online verifier checks them: the same rules as an offline terminal."""
    return {
        key.kid: qrtoken.PublishedKey(
            kid=key.kid,
            public_key=bytes.fromhex(key.public_key),
            status=key.status,
            not_before=int(key.created_at.timestamp()),
            not_after=_unix(key.verify_until),
        )
        for key in repository.verification_keys(session)
    }
