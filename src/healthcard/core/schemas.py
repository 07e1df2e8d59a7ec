"""Base for API shapes: unknown fields are refused, surrounding whitespace is trimmed."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Schema(BaseModel):
    """Input shape: strict about unknown fields so typos are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """Output shape, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total, where this page starts."""

    items: list[T]
    total: int
    offset: int
    limit: int
