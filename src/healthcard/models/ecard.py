"""Electronic health cards (电子健康卡): e-cards, issuer signing keys, QR nonces and the use log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base, UTCDateTime, utcnow


class ECard(Base):
    """A resident's electronic health card; QR codes name it by ``token``, never by ``id``."""

    __tablename__ = "ecards"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'cancelled')", name="status"),
        # One active e-card per person, enforced by the database (partial unique index).
        Index(
            "uq_ecards_active_person",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # 16 random bytes, hex
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("health_cards.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # The nonce (hex) of the one printed static code that is valid; NULL: none is.
    static_nonce: Mapped[str | None] = mapped_column(String(24))
    # Wrong PINs in a row at terminals; reaching the limit locks the static code for a while.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bank_token: Mapped[str | None] = mapped_column(String(64), index=True)
    bank_masked: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(300))


class ECardSigningKey(Base):
    """An SM2 issuer key. The private key is sealed (SM4-GCM) under the master key."""

    __tablename__ = "ecard_signing_keys"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'retired', 'revoked')", name="status"),
        # At most one key signs new codes.
        Index(
            "uq_ecard_signing_keys_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(8), unique=True)
    public_key: Mapped[str] = mapped_column(String(130))  # 04||x||y, hex
    private_key_sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A retired key verifies codes until this instant (the grace period), then no more.
    verify_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(300))


class ECardNonce(Base):
    """A dynamic code's nonce, registered when issued, counted at each use (replay control)."""

    __tablename__ = "ecard_nonces"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(24), unique=True)  # 12 bytes, hex
    ecard_id: Mapped[int] = mapped_column(ForeignKey("ecards.id"), index=True)
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ECardQrUse(Base):
    """One verification of a QR code, online or reported later by an offline terminal."""

    __tablename__ = "ecard_qr_uses"
    __table_args__ = (
        CheckConstraint("outcome IN ('accepted', 'refused')", name="outcome"),
        CheckConstraint("mode IN ('online', 'offline')", name="mode"),
        Index("ix_ecard_qr_uses_ecard_time", "ecard_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ecard_id: Mapped[int | None] = mapped_column(ForeignKey("ecards.id"))
    terminal_code: Mapped[str] = mapped_column(String(40))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("card_terminals.id"))
    use: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(10))  # dynamic | static (when readable)
    kid: Mapped[str | None] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(10))
    error_code: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10), default="online")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))
