"""GB/T 2260 administrative divisions (行政区划), with the years each code was in force."""

from __future__ import annotations

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base


class Division(Base):
    """A province, city (prefecture) or county code; historical codes keep their years."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))  # province | city | county
    parent_code: Mapped[str | None] = mapped_column(
        String(6), ForeignKey("divisions.code"), index=True
    )
    valid_from: Mapped[int | None] = mapped_column(SmallInteger)
    valid_to: Mapped[int | None] = mapped_column(SmallInteger)
