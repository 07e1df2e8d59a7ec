"""Settings read from the environment (prefix ``HEALTHCARD_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-development-only"  # noqa: S105 - the placeholder we refuse in production
DEFAULT_SQLITE_PATH = Path("var") / "healthcard.sqlite3"


class Settings(BaseSettings):
    """Everything the platform can be told from outside; defaults suit a developer's laptop."""

    model_config = SettingsConfigDict(env_prefix="HEALTHCARD_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default=f"sqlite:///{DEFAULT_SQLITE_PATH}")
    secret_key: str = PLACEHOLDER_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = ""
    default_locale: Literal["zh_Hans", "en"] = "zh_Hans"

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    require_totp_for_admins: bool = False
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    secure_cookies: bool = False
    empi_auto_link_threshold: float = Field(default=0.95, gt=0, le=1)
    empi_review_threshold: float = Field(default=0.5, gt=0, le=1)
    log_json: bool = True
    # Electronic health cards: the file holding the master key that seals the issuer signing keys
    # (32 hex characters, or at least 16 random bytes). Unset in development/test: var/master.key
    # is created on first use. Never in the database or the repository.
    master_key_file: Path | None = None
    ecard_issuer_code: str = Field(default="12370600MB0000000X", pattern=r"^[0-9A-Z]{18}$")
    ecard_qr_lifetime_seconds: int = Field(default=60, ge=10, le=3600)
    ecard_static_lifetime_days: int = Field(default=365, ge=1, le=3660)
    ecard_dynamic_max_uses: int = Field(default=1, ge=1, le=100)
    ecard_key_grace_days: int = Field(default=30, ge=0, le=3660)
    # A static code is locked after this many wrong PINs in a row, for ecard_pin_lock_minutes.
    ecard_pin_max_failures: int = Field(default=5, ge=1, le=20)
    ecard_pin_lock_minutes: int = Field(default=30, ge=1, le=1440)
    # Used and expired dynamic-code nonces are kept this long (replay evidence), then purged.
    # Start-up objects are frozen out of the garbage collector (short full collections under
    # load); the test suite, which starts hundreds of apps in one process, turns it off.
    gc_freeze: bool = True
    # Online verifications arriving together share a transaction, at most this many.
    ecard_verify_max_batch: int = Field(default=64, ge=1, le=1000)
    ecard_nonce_retention_days: int = Field(default=7, ge=1, le=3660)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        weak = self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        if self.environment == "production" and weak:
            raise ValueError(
                "HEALTHCARD_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
