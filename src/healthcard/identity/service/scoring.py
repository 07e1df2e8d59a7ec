"""The online matcher's scorer: the same comparison levels and trained weights as batch linkage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.identity import linkage, repository
from healthcard.identity.features import NormalizedRecord, normalize_record
from healthcard.identity.service.protect import unseal_value
from healthcard.models import PersonRecord

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "data" / "default_link_model.json"


@dataclass(frozen=True)
class Scorer:
    """A loaded model and the version its decisions are recorded under."""

    version: str
    model: linkage.LinkModel

    def score(self, a: NormalizedRecord, b: NormalizedRecord) -> linkage.PairScore:
        return linkage.score_pair(self.model, a, b)


@lru_cache(maxsize=8)
def _load(text: str, version: str) -> Scorer:
    return Scorer(version=version, model=linkage.LinkModel(json.loads(text)))


@lru_cache(maxsize=1)
def _default() -> Scorer:
    text = DEFAULT_MODEL.read_text(encoding="utf-8")
    return _load(text, "default-" + hashlib.sha256(text.encode()).hexdigest()[:12])


_LOADED: dict[str, Scorer] = {}


def current(session: Session) -> Scorer:
    """The active trained model, or the default one shipped with the platform.

    Only the active version is read per call; a model's JSON is read once per process.
    """
    version = repository.active_model_version(session)
    if version is None:
        return _default()
    if version not in _LOADED:
        row = repository.model_by_version(session, version)
        if row is None:
            return _default()
        _LOADED[version] = _load(row.model_json, row.version)
    return _LOADED[version]


def normalized(
    *,
    key: str,
    source: str,
    id_number: str | None,
    name: str,
    sex: str | None,
    birth_date: str | None,
    phone: str | None,
    address: str | None,
) -> NormalizedRecord:
    """A record in the form the scorer compares (the same cleaning as batch linkage)."""
    return normalize_record(
        {
            "record_id": key,
            "source": source,
            "id_type": "01" if id_number else "",
            "id_number": id_number or "",
            "name": name,
            "sex": sex or "",
            "birth_date": birth_date or "",
            "phone": phone or "",
            "address": address or "",
        }
    )


def of_record(settings: Settings, record: PersonRecord) -> NormalizedRecord:
    """A stored record, decrypted, in the form the scorer compares."""
    id_number = None
    if record.id_valid and record.id_type in (None, "01") and record.id_number_sealed:
        id_number = unseal_value(settings, "id", record.id_number_sealed)
    phone = unseal_value(settings, "phone", record.phone_sealed) if record.phone_sealed else None
    return normalized(
        key=str(record.id),
        source=record.source_system,
        id_number=id_number,
        name=record.name,
        sex=record.sex,
        birth_date=record.birth_date.isoformat() if record.birth_date else None,
        phone=phone,
        address=record.address,
    )
