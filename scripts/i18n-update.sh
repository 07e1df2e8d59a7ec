#!/usr/bin/env bash
# Re-extract the console's translatable messages and merge them into every locale's catalog.
#
# Usage (from anywhere in the repository, after adding or changing _("...") / N_("...") strings):
#
#     scripts/i18n-update.sh
#
# It rewrites src/healthcard/locale/messages.pot from the sources (mapping: babel.cfg), then runs
# `pybabel update` for each locale (creating a missing catalog with `pybabel init`). Afterwards,
# translate what is new in src/healthcard/locale/en/LC_MESSAGES/messages.po: entries with an empty
# msgstr, and entries flagged "#, fuzzy" (check babel's guess, fix it, delete the flag; fuzzy entries
# are not used). Then run `.venv/bin/pytest -q tests/test_i18n.py`, which fails on any message
# without an English translation. The zh_Hans catalog stays empty: the ids are Simplified Chinese.
# There is no compile step; the application reads the .po files at start-up.
#
# Set PYBABEL to use another pybabel (default: .venv/bin/pybabel, else pybabel on PATH).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${PYBABEL:-}" ]]; then
    if [[ -x .venv/bin/pybabel ]]; then
        PYBABEL=.venv/bin/pybabel
    else
        PYBABEL=pybabel
    fi
fi

LOCALE_DIR=src/healthcard/locale
POT="$LOCALE_DIR/messages.pot"
mkdir -p "$LOCALE_DIR"

"$PYBABEL" --quiet extract \
    --mapping-file=babel.cfg \
    --output-file="$POT" \
    --project=healthcard \
    --version="$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)" \
    --copyright-holder="healthcard contributors" \
    --add-comments=Translators: \
    --sort-by-file \
    .

update_locale() {
    local locale=$1
    shift
    local po="$LOCALE_DIR/$locale/LC_MESSAGES/messages.po"
    if [[ -f "$po" ]]; then
        "$PYBABEL" --quiet update --input-file="$POT" --output-dir="$LOCALE_DIR" --locale="$locale" "$@"
    else
        "$PYBABEL" --quiet init --input-file="$POT" --output-dir="$LOCALE_DIR" --locale="$locale"
    fi
}

# English: fuzzy matching proposes a translation for a changed id (flagged fuzzy, for review).
update_locale en
# Simplified Chinese: the ids are the text, so there is nothing to guess or to keep.
update_locale zh_Hans --no-fuzzy-matching --ignore-obsolete

# Say what still needs an English translation.
PYTHON="$(dirname "$PYBABEL")/python"
[[ -x "$PYTHON" ]] || PYTHON=python3
"$PYTHON" - "$LOCALE_DIR/en/LC_MESSAGES/messages.po" <<'PY'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as handle:
    catalog = read_po(handle)
messages = [m for m in catalog if m.id]
todo = [m for m in messages if m.fuzzy or not m.string or "" in tuple(m.string)]
for message in todo:
    print(f"  {'fuzzy' if message.fuzzy else 'untranslated'}: {message.id!r}")
print(f"en: {len(todo)} of {len(messages)} messages need translating.")
PY
