"""Physical resident health cards (居民健康卡): applications, production batches, cards and their
history, card manufacturers and products, SAM cards and terminals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base, UTCDateTime, utcnow

# Card states. A "live" card is any not yet replaced or cancelled: one per person at most.
LIVE_STATES = ("approved", "in_production", "produced", "issued", "active", "lost")
CARD_STATES = (*LIVE_STATES, "replaced", "cancelled")


class CardManufacturer(Base):
    """A card manufacturer registered with the card centre (制卡厂商)."""

    __tablename__ = "card_manufacturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    contact: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CardProduct(Base):
    """A card product of a manufacturer (chip, operating system, certification)."""

    __tablename__ = "card_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("card_manufacturers.id"), index=True)
    model: Mapped[str] = mapped_column(String(100))
    chip: Mapped[str | None] = mapped_column(String(100))
    cos_version: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CardApplication(Base):
    """An application for a card (申领), reviewed by the card centre (审核)."""

    __tablename__ = "card_applications"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name="status"),
        CheckConstraint("kind IN ('new', 'reissue', 'replace')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="new")
    status: Mapped[str] = mapped_column(String(10), default="submitted", index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    applied_by: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(300))


class ProductionBatch(Base):
    """Cards sent to a manufacturer for personalisation (制卡批次)."""

    __tablename__ = "card_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("card_products.id"))
    status: Mapped[str] = mapped_column(String(12), default="exported")  # exported | produced
    cards: Mapped[int] = mapped_column(default=0)
    export_digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    produced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HealthCard(Base):
    """A resident health card; its number is the holder's 18-character document number."""

    __tablename__ = "health_cards"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in CARD_STATES) + ")", name="status"
        ),
        # One live card per person, enforced by the database (partial unique index).
        Index(
            "uq_health_cards_live_person",
            "person_id",
            unique=True,
            sqlite_where=text("status IN (" + ", ".join(f"'{s}'" for s in LIVE_STATES) + ")"),
            postgresql_where=text("status IN (" + ", ".join(f"'{s}'" for s in LIVE_STATES) + ")"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("card_applications.id"))
    card_number_sealed: Mapped[str] = mapped_column(Text)
    card_number_index: Mapped[str] = mapped_column(String(64), index=True)
    chip_serial: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(14), default="approved")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batches.id"))
    previous_card_id: Mapped[int | None] = mapped_column(ForeignKey("health_cards.id"))
    fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    issuing_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CardEvent(Base):
    """One step in a card's life, with who did it where."""

    __tablename__ = "card_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("health_cards.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(14))
    to_status: Mapped[str] = mapped_column(String(14))
    reason: Mapped[str | None] = mapped_column(String(300))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("card_terminals.id"))
    actor: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SamCard(Base):
    """A terminal's security module (SAM卡), issued by the registration centre."""

    __tablename__ = "sam_cards"
    __table_args__ = (
        CheckConstraint("status IN ('issued', 'assigned', 'revoked')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="issued")
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Terminal(Base):
    """A card reader or QR scanner at an institution (受理终端), with its SAM card."""

    __tablename__ = "card_terminals"
    __table_args__ = (CheckConstraint("status IN ('active', 'revoked')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    sam_card_id: Mapped[int | None] = mapped_column(ForeignKey("sam_cards.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    allowed_uses: Mapped[str] = mapped_column(String(300), default="")
    location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
