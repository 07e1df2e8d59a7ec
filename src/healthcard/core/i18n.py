"""Translations. Message ids are the Simplified Chinese text; catalogs translate to other locales.

Catalogs are read from the ``.po`` files at start-up (no compile step to forget).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from healthcard.core.context import locale_var

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LOCALE = "zh_Hans"
LOCALES = {"zh_Hans": "简体中文", "en": "English"}


@lru_cache
def _translations(locale: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def N_(message: str) -> str:
    """Mark a string for extraction; translated where it is shown."""
    return message


def gettext_(message: str) -> str:
    """Translate ``message`` into the request's locale."""
    return _translations(locale_var.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    """Plural-aware translation into the request's locale."""
    return _translations(locale_var.get()).ngettext(singular, plural, n)


def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The locale for a request: an explicit choice (cookie) first, then the browser's wish."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return default
