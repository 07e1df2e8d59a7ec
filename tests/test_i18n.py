"""The console speaks Simplified Chinese by default and English from the Babel catalog.

Message ids are the Chinese text. Every message the sources mark (``_()`` in templates,
``gettext_``/``N_`` in Python, mapped by ``babel.cfg``) needs an English translation; after
adding strings run ``scripts/i18n-update.sh`` and translate what it lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from healthcard.accounts.schemas import HOSPITAL_LEVEL_LABELS, INSTITUTION_KIND_LABELS
from healthcard.admin.pages import OUTCOMES
from healthcard.core import handlers, templating
from healthcard.core.context import locale_var
from healthcard.core.i18n import LOCALE_DIR, N_, gettext_
from healthcard.core.permissions import BUILTIN_ROLES, all_permissions

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[a-z]")


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _source_msgids() -> dict[str, str]:
    """Every message id extracted from the sources with babel.cfg, and where it was found."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _strings(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@pytest.fixture
def english() -> Iterator[None]:
    """Run the test body as a request in English would."""
    token = locale_var.set("en")
    try:
        yield
    finally:
        locale_var.reset(token)


def test_extraction_finds_templates_and_marked_python_strings() -> None:
    msgids = _source_msgids()
    assert "登录" in msgids  # a template
    assert "审计日志" in msgids  # add_nav() in Python, marked with N_()
    assert "省级" in msgids  # divisions.html spells out each level


def test_every_message_has_an_english_translation() -> None:
    catalog = _catalog("en")
    missing = []
    for msgid, where in sorted(_source_msgids().items()):
        message = catalog.get(msgid)
        strings = _strings(message.string) if message is not None else ()
        if message is None or message.fuzzy or not strings or not all(strings):
            missing.append(f"{msgid!r} ({where})")
    assert not missing, (
        "messages without an English translation (run scripts/i18n-update.sh, then translate "
        "them in src/healthcard/locale/en/LC_MESSAGES/messages.po):\n  " + "\n  ".join(missing)
    )


def test_english_translations_keep_their_placeholders() -> None:
    wrong = []
    for message in _catalog("en"):
        if not message.id:
            continue
        expected = sorted(PLACEHOLDER.findall(" ".join(_strings(message.id))))
        for string in _strings(message.string):
            if string and sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append(f"{message.id!r} -> {string!r}")
    assert not wrong, "placeholders differ:\n  " + "\n  ".join(wrong)


def test_chinese_catalog_exists_and_adds_nothing() -> None:
    catalog = _catalog("zh_Hans")
    assert len(catalog) > 0
    assert all(not any(_strings(m.string)) or m.string == m.id for m in catalog if m.id)


def test_n_marks_without_translating() -> None:
    assert N_("登录") == "登录"


def test_labels_registered_at_run_time_are_translated(english: None) -> None:
    """Catches a Python literal shown through _() that was not marked with N_()."""
    labels = {
        *(text for _, section, label, _ in templating._NAV.values() for text in (section, label)),
        *(text for role in BUILTIN_ROLES for text in (role.name, role.description)),
        *(permission.label for permission in all_permissions()),
        *INSTITUTION_KIND_LABELS.values(),
        *HOSPITAL_LEVEL_LABELS.values(),
        *OUTCOMES.values(),
        *handlers._STATUS_TITLES.values(),
    }
    untranslated = sorted(label for label in labels if gettext_(label) == label)
    assert not untranslated, f"shown translated but not in the en catalog: {untranslated}"


def test_login_page_in_english_by_cookie(client: TestClient) -> None:
    client.cookies.set("hc_lang", "en")
    page = client.get("/login").text
    assert "Log in" in page
    assert "Username" in page
    assert "用户名" not in page


def test_login_page_in_chinese_by_default(client: TestClient) -> None:
    page = client.get("/login").text
    assert "用户名" in page
    assert "登录" in page
    assert "Username" not in page


def test_login_page_in_english_by_accept_language(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "Username" in page
    assert "用户名" not in page


def test_login_notice_is_translated(client: TestClient) -> None:
    client.cookies.set("hc_lang", "en")
    page = client.get("/login", params={"bye": 1}).text
    assert "You have been logged out." in page
