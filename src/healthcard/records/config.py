"""Settings of the records domain, read from the environment (prefix ``HEALTHCARD_RECORDS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RecordsSettings(BaseSettings):
    """Time limits of shared-record access and of migrations; defaults follow local practice."""

    model_config = SettingsConfigDict(
        env_prefix="HEALTHCARD_RECORDS_", env_file=".env", extra="ignore"
    )

    # A resident counts as present at an institution for this long after their e-card QR code
    # was verified there (the visit in progress).
    presence_minutes: int = Field(default=240, ge=1, le=24 * 60)
    # Break-glass access lasts at most this long.
    break_glass_max_hours: int = Field(default=24, ge=1, le=72)
    # The institution holding a record answers a migration request within this many days, else it
    # escalates to the district health bureau.
    migration_answer_days: int = Field(default=7, ge=1, le=90)
    # Consent to another institution lasts this long unless an earlier expiry is given.
    consent_max_days: int = Field(default=365, ge=1, le=3660)


@lru_cache
def get_records_settings() -> RecordsSettings:
    """The process-wide records settings, read once."""
    return RecordsSettings()
