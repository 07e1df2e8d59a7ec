"""Which trained matching model the online matcher uses."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.principal import Principal
from healthcard.identity import linkage, repository
from healthcard.models import LinkModelVersion


def activate_model(
    session: Session, *, actor: Principal, model: linkage.LinkModel, trained_on: str
) -> LinkModelVersion:
    """Store a trained model and make it the one online registrations are scored with."""
    text = json.dumps(model.settings, ensure_ascii=False, sort_keys=True)
    version = "m-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    row = repository.model_by_version(session, version)
    repository.deactivate_models(session)
    if row is None:
        row = LinkModelVersion(
            version=version, model_json=text, trained_on=trained_on[:300], records=0
        )
        session.add(row)
    row.active = True
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="empi.model.activate",
        resource_type="LinkModel",
        resource_id=version,
        detail={"trained_on": trained_on},
    )
    return row
