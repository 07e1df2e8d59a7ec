"""E-cards through the API: lifecycle, QR codes, every verification refusal, the use log."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import ClientIn
from healthcard.core.audit import AuditEvent
from healthcard.core.db import utcnow
from healthcard.core.principal import system_principal
from healthcard.ecard import qrtoken
from healthcard.ecard import service as ecard_service
from healthcard.models import ECard, ECardNonce, ECardQrUse
from tests.ecard.conftest import Desk
from tests.factories import SYSTEM, bearer

JSON = {"Accept": "application/json"}


def _uses(session: Session, ecard_id: int) -> list[ECardQrUse]:
    session.expire_all()
    return list(
        session.execute(
            select(ECardQrUse).where(ECardQrUse.ecard_id == ecard_id).order_by(ECardQrUse.id)
        ).scalars()
    )


def test_dynamic_code_verifies_once_and_the_terminal_sees_a_masked_summary(
    desk: Desk, session: Session
) -> None:
    ecard = desk.ecard(desk.person("张大伟"))
    answer = desk.post(f"/api/v1/ecards/{ecard['id']}/qrcode")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kind"] == "dynamic"
    assert 55 <= body["expires_in"] <= 60
    assert base64.b64decode(body["png"]).startswith(b"\x89PNG")
    assert body["svg"].startswith("<svg")
    payload = body["payload"]
    assert payload.startswith("HC1:")
    assert "张" not in payload
    ok = desk.verify(payload)
    assert ok.status_code == 200, ok.text
    summary = ok.json()
    assert summary["name_masked"] == "张*伟"
    assert summary["birth_year"] == 1985
    assert "*" in summary["id_number_masked"]
    assert summary["ecard_status"] == "active"
    again = desk.verify(payload)
    assert again.status_code == 409
    assert again.json()["code"] == "qr_replayed"
    assert [(u.outcome, u.error_code) for u in _uses(session, ecard["id"])] == [
        ("accepted", None),
        ("refused", "qr_replayed"),
    ]
    listed = desk.get(f"/api/v1/ecards/{ecard['id']}/uses").json()
    assert [u["outcome"] for u in listed] == ["refused", "accepted"]
    actions = (
        session.execute(select(AuditEvent.outcome).where(AuditEvent.action == "ecard.verify"))
        .scalars()
        .all()
    )
    assert list(actions)[-2:] == ["success", "denied"]


def test_reuse_policy_is_configurable(desk: Desk) -> None:
    desk.settings.ecard_dynamic_max_uses = 2
    payload = desk.code(desk.ecard()["id"])
    assert desk.verify(payload).status_code == 200
    assert desk.verify(payload, use="payment").status_code == 200
    assert desk.verify(payload).json()["code"] == "qr_replayed"


def test_code_expires_after_its_lifetime(desk: Desk) -> None:
    payload = desk.code(desk.ecard()["id"])
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        answer = desk.verify(payload)
    assert answer.status_code == 401
    assert answer.json()["code"] == "qr_expired"


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda t: t[:-4], 400, "qr_malformed"),
        (lambda t: "HC1:" + qrtoken.encode(qrtoken.decode(t)[:100])[4:], 400, "qr_malformed"),
        (lambda t: "XX1:" + t[4:], 400, "qr_malformed"),
        (
            lambda t: qrtoken.encode(
                qrtoken.decode(t)[:70] + bytes([qrtoken.decode(t)[70] ^ 1]) + qrtoken.decode(t)[71:]
            ),
            401,
            "qr_bad_signature",
        ),
        (
            lambda t: qrtoken.encode(qrtoken.decode(t)[:36] + b"00000000" + qrtoken.decode(t)[44:]),
            401,
            "qr_unknown_key",
        ),
    ],
)
def test_tampered_codes_are_refused(desk: Desk, mutate: object, status: int, code: str) -> None:
    payload = desk.code(desk.ecard()["id"])
    answer = desk.verify(mutate(payload))  # type: ignore[operator]
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code


def test_terminal_refusals(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    payload = desk.code(ecard["id"])
    assert desk.verify(payload, terminal="T-NOPE").json()["code"] == "terminal_refused"
    # T-001 belongs to the card centre, not to this hospital.
    assert desk.verify(payload, terminal="T-001").json()["code"] == "terminal_refused"
    refused = desk.verify(payload, use="dispensing")
    assert refused.status_code == 403
    assert refused.json()["code"] == "terminal_use_not_allowed"
    desk.centre.post("/api/v1/registry/terminals/T-H1/revoke")
    assert desk.verify(payload).json()["code"] == "terminal_refused"
    codes = [u.error_code for u in _uses(session, ecard["id"])]
    assert codes == ["terminal_refused"] * 2 + ["terminal_use_not_allowed", "terminal_refused"]


def test_cancelled_ecard_is_refused(desk: Desk) -> None:
    ecard = desk.ecard()
    payload = desk.code(ecard["id"])
    cancelled = desk.post(f"/api/v1/ecards/{ecard['id']}/cancel", {"reason": "本人申请"})
    assert cancelled.json()["status"] == "cancelled"
    assert desk.verify(payload).json()["code"] == "qr_ecard_cancelled"
    assert desk.post(f"/api/v1/ecards/{ecard['id']}/qrcode").status_code == 409


def test_lost_and_cancelled_physical_cards_stop_the_ecard(desk: Desk) -> None:
    person = desk.person()
    card_id = desk.centre.active_card(person)
    ecard = desk.ecard(person)
    assert ecard["card_id"] == card_id
    desk.centre.post(f"/api/v1/cards/{card_id}/report-lost", {"reason": "丢失"})
    assert desk.verify(desk.code(ecard["id"])).json()["code"] == "qr_card_lost"
    desk.centre.post(f"/api/v1/cards/{card_id}/recover", {"reason": "找回"})
    assert desk.verify(desk.code(ecard["id"])).status_code == 200
    desk.centre.post(f"/api/v1/cards/{card_id}/cancel", {"reason": "注销"})
    assert desk.verify(desk.code(ecard["id"])).json()["code"] == "qr_card_cancelled"


def test_unissued_nonce_is_refused_even_with_a_valid_signature(
    desk: Desk, session: Session
) -> None:
    """A code signed with the platform's key but never issued (a leaked key) is refused online."""
    from healthcard.ecard.service.keys import signing_key

    ecard = desk.ecard()
    token = session.get(ECard, ecard["id"])
    assert token is not None
    kid, key = signing_key(session, settings=desk.settings)
    now = int(utcnow().timestamp())
    claims = qrtoken.Claims(
        kind=qrtoken.Kind.DYNAMIC,
        ecard_id=bytes.fromhex(token.token),
        issuer=desk.settings.ecard_issuer_code,
        kid=kid,
        issued_at=now,
        expires_at=now + 60,
        nonce=b"\x00" * 12,
    )
    answer = desk.verify(qrtoken.encode(qrtoken.sign(claims, key)))
    assert answer.json()["code"] == "qr_unknown_code"


def test_static_code_needs_the_pin_and_can_be_revoked(desk: Desk) -> None:
    ecard = desk.ecard()
    refused = desk.post(f"/api/v1/ecards/{ecard['id']}/qrcode", {"static": True})
    assert refused.json()["code"] == "pin_not_set"
    updated = desk.client.patch(
        f"/api/v1/ecards/{ecard['id']}", json={"pin": "246810"}, headers=desk.headers
    )
    assert updated.json()["has_pin"] is True
    payload = desk.code(ecard["id"], static=True)
    claims = qrtoken.read(payload).claims
    assert claims.kind is qrtoken.Kind.STATIC
    assert claims.expires_at - claims.issued_at == 365 * 86400
    assert desk.verify(payload).json()["code"] == "qr_pin_required"
    assert desk.verify(payload, pin="000000").json()["code"] == "qr_pin_wrong"
    assert desk.verify(payload, pin="246810").status_code == 200
    assert desk.verify(payload, pin="246810").status_code == 200  # static: no use limit
    reprinted = desk.code(ecard["id"], static=True)
    assert desk.verify(payload, pin="246810").json()["code"] == "qr_static_revoked"
    assert desk.verify(reprinted, pin="246810").status_code == 200
    desk.client.delete(f"/api/v1/ecards/{ecard['id']}/static-code", headers=desk.headers)
    assert desk.verify(reprinted, pin="246810").json()["code"] == "qr_static_revoked"


def test_wrong_pins_in_a_row_lock_the_static_code(desk: Desk) -> None:
    ecard = desk.ecard()
    desk.client.patch(f"/api/v1/ecards/{ecard['id']}", json={"pin": "246810"}, headers=desk.headers)
    payload = desk.code(ecard["id"], static=True)
    limit = desk.settings.ecard_pin_max_failures
    for _ in range(limit - 2):
        assert desk.verify(payload, pin="000000").json()["code"] == "qr_pin_wrong"
    assert desk.verify(payload, pin="246810").status_code == 200  # a right PIN resets the count
    for _ in range(limit - 1):
        assert desk.verify(payload, pin="000000").json()["code"] == "qr_pin_wrong"
    locked = desk.verify(payload, pin="000000")
    assert (locked.status_code, locked.json()["code"]) == (423, "qr_pin_locked")
    assert desk.verify(payload, pin="246810").json()["code"] == "qr_pin_locked"  # even right
    later = datetime.now(UTC) + timedelta(minutes=desk.settings.ecard_pin_lock_minutes + 1)
    with time_machine.travel(later, tick=False):
        assert desk.verify(payload, pin="246810").status_code == 200


def test_purge_deletes_only_nonces_expired_beyond_retention(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    fresh = qrtoken.read(desk.code(ecard["id"])).claims.nonce.hex()
    old = qrtoken.read(desk.code(ecard["id"])).claims.nonce.hex()
    session.execute(
        update(ECardNonce)
        .where(ECardNonce.nonce == old)
        .values(expires_at=datetime.now(UTC) - timedelta(days=30))
    )
    actor = system_principal("test")
    assert ecard_service.purge_nonces(session, settings=desk.settings, actor=actor) == 1
    left = set(session.execute(select(ECardNonce.nonce)).scalars())
    assert fresh in left
    assert old not in left


def test_bank_card_is_stored_masked_and_tokenised(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    url = f"/api/v1/ecards/{ecard['id']}/bank-card"
    bad = desk.client.put(url, json={"number": "6222020200112233445"}, headers=desk.headers)
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_bank_card"
    bound = desk.client.put(url, json={"number": "6222 0202 0011 2233 446"}, headers=desk.headers)
    assert bound.status_code == 200, bound.text
    assert bound.json()["bank_masked"] == "6222 **** **** 3446"
    row = session.get(ECard, ecard["id"])
    session.refresh(row)
    assert row is not None
    assert row.bank_token
    assert len(row.bank_token) == 64
    assert "6222020200112233446" not in str(vars(row))
    unbound = desk.client.delete(url, headers=desk.headers)
    assert unbound.json()["bank_masked"] is None


def test_one_active_ecard_per_person(desk: Desk) -> None:
    person = desk.person()
    first = desk.ecard(person)
    assert desk.post("/api/v1/ecards", {"person_id": person}).json()["code"] == "ecard_exists"
    desk.post(f"/api/v1/ecards/{first['id']}/cancel", {"reason": "重办"})
    assert desk.post("/api/v1/ecards", {"person_id": person}).status_code == 201


def test_offline_uses_are_reported_and_count_against_replay(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    payload = desk.code(ecard["id"])
    report = desk.post(
        "/api/v1/ecards/uses",
        {
            "terminal": "T-H1",
            "uses": [
                {
                    "payload": payload,
                    "use": "registration",
                    "verified_at": utcnow().isoformat(),
                    "outcome": "accepted",
                },
                {
                    "payload": "HC1:GARBAGE",
                    "use": "payment",
                    "verified_at": utcnow().isoformat(),
                    "outcome": "refused",
                    "error_code": "qr_malformed",
                },
            ],
        },
    )
    assert report.status_code == 201, report.text
    assert report.json()["recorded"] == 2
    uses = _uses(session, ecard["id"])
    assert [(u.mode, u.outcome) for u in uses] == [("offline", "accepted")]
    assert desk.verify(payload).json()["code"] == "qr_replayed"


def test_verification_needs_the_verify_permission(desk: Desk) -> None:
    payload = desk.code(desk.ecard()["id"])
    anonymous = desk.client.post(
        "/api/v1/ecards/verify",
        json={"payload": payload, "terminal": "T-H1", "use": "registration"},
        headers={**JSON, "Cookie": ""},
    )
    assert anonymous.status_code in (401, 403)


def test_a_system_limited_to_some_uses_verifies_only_those(desk: Desk, session: Session) -> None:
    """APP接入管理: a self-service payment kiosk's system may verify codes for payment only,
    even at a terminal registered for more."""
    issued = accounts_service.create_client(
        desk.session,
        settings=desk.settings,
        actor=SYSTEM,
        data=ClientIn(
            name="自助缴费机",
            institution_id=desk.centre.hospital.institution.id,
            scopes=["ecards.verify"],
            uses=["payment"],
        ),
    )
    desk.session.commit()
    assert issued.client.uses == "payment"
    kiosk = bearer(desk.client, issued.client.client_id, issued.secret)
    ecard = desk.ecard()

    def verify(use: str) -> Any:
        body = {"payload": desk.code(ecard["id"]), "terminal": "T-H1", "use": use}
        return desk.client.post("/api/v1/ecards/verify", json=body, headers=kiosk)

    refused = verify("registration")
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "client_use_not_allowed"
    assert verify("payment").status_code == 200
    # The hospital's own HIS (no limit) still verifies registration at the same terminal.
    assert desk.verify(desk.code(ecard["id"])).status_code == 200
    assert [(u.use, u.error_code) for u in _uses(session, ecard["id"])] == [
        ("registration", "client_use_not_allowed"),
        ("payment", None),
        ("registration", None),
    ]


def test_unknown_uses_are_refused_when_registering_a_system(desk: Desk) -> None:
    with pytest.raises(ValidationError):
        ClientIn.model_validate(
            {"name": "自助机", "institution_id": 1, "scopes": ["ecards.verify"], "uses": ["x"]}
        )
