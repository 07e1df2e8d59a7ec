"""Online verifications that arrive together share one transaction (core/batching.py): each gets
the answer it would have got alone, in arrival order, with its own use-log row and audit entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from healthcard.core.audit import AuditEvent
from healthcard.core.auth import Caller
from healthcard.core.db import utcnow
from healthcard.ecard import qrtoken
from healthcard.ecard import service as ecard_service
from healthcard.models import ECardQrUse
from tests.ecard.conftest import Desk
from tests.factories import bearer, create_client, create_staff, login, run_async


def _tampered(payload: str) -> str:
    raw = bytearray(qrtoken.decode(payload))
    raw[-1] ^= 0x01  # the last byte of the signature
    return qrtoken.encode(bytes(raw))


def _job(app: FastAPI, headers: dict[str, str], n: int, payload: str, **kw: Any) -> Any:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/ecards/verify",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": app,
    }
    caller = Caller(Request(scope), "ecards.verify", f"req-{n}", "10.0.0.7")
    return ecard_service.OnlineJob(
        caller, payload, kw.get("terminal", "T-H1"), kw.get("use", "registration")
    )


def test_one_batch_answers_each_code_as_if_alone(
    desk: Desk, app: FastAPI, session: Session, session_factory: sessionmaker[Session]
) -> None:
    reader = create_client(
        desk.session,
        desk.settings,
        institution=desk.centre.hospital.institution,
        scopes=["ecards.read"],
    )
    reader_headers = bearer(desk.client, reader.client.client_id, reader.secret)
    cancelled = desk.ecard()
    cancelled_code = desk.code(cancelled["id"])
    desk.post(f"/api/v1/ecards/{cancelled['id']}/cancel", {"reason": "本人申请"})
    a, b, c, f = (desk.code(desk.ecard()["id"]) for _ in range(4))
    plan = [
        (desk.headers, a, {}, None),
        (desk.headers, a, {}, "qr_replayed"),  # the same code twice in one batch
        (desk.headers, b, {"terminal": "T-NOPE"}, "terminal_refused"),
        (desk.headers, c, {"use": "dispensing"}, "terminal_use_not_allowed"),
        (desk.headers, _tampered(f), {}, "qr_bad_signature"),
        (desk.headers, cancelled_code, {}, "qr_ecard_cancelled"),
        (reader_headers, b, {}, "permission_denied"),  # a system without ecards.verify
        ({"Authorization": "Bearer not-a-token"}, b, {}, "invalid_token"),
        (desk.headers, f, {}, None),
    ]
    jobs = [_job(app, h, n, p, **kw) for n, (h, p, kw, _) in enumerate(plan)]
    before = session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalar()

    answers = ecard_service.verify_batch(session_factory, desk.settings, jobs)

    assert [a.error.code if a.error else None for a in answers] == [p[3] for p in plan]
    assert answers[0].summary is not None
    assert answers[8].summary is not None
    assert answers[0].summary.person_id != answers[8].summary.person_id
    session.expire_all()
    entries = session.execute(
        select(AuditEvent).where(AuditEvent.id > (before or 0)).order_by(AuditEvent.id)
    ).scalars()
    # Every verification that reached the checks has its entry with its own request's id;
    # the refused callers have theirs (403 audited; 401 has no caller to name).
    logged = [(e.action, e.request_id, e.outcome, e.client_address) for e in entries]
    expected = [
        ("access.denied", "req-6", "denied", "10.0.0.7"),
        *[
            ("ecard.verify", f"req-{n}", "denied" if plan[n][3] else "success", "10.0.0.7")
            for n in (0, 1, 2, 3, 4, 5, 8)
        ],
    ]
    assert logged == expected
    uses = session.execute(select(ECardQrUse).order_by(ECardQrUse.id)).scalars().all()
    assert [(u.outcome, u.error_code) for u in uses[-7:]] == [
        ("accepted", None),
        ("refused", "qr_replayed"),
        ("refused", "terminal_refused"),
        ("refused", "terminal_use_not_allowed"),
        ("refused", "qr_bad_signature"),
        ("refused", "qr_ecard_cancelled"),
        ("accepted", None),
    ]
    # The use of a code whose signature checked is logged against its e-card, even refused;
    # a forged one is logged against none.
    assert uses[-3].ecard_id is None
    assert uses[-2].ecard_id == cancelled["id"]


def test_concurrent_requests_are_batched_and_each_code_counts_once(
    desk: Desk, app: FastAPI
) -> None:
    codes = [desk.code(desk.ecard()["id"]) for _ in range(6)]
    body = [{"payload": p, "terminal": "T-H1", "use": "registration"} for p in codes * 2]

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(
                await asyncio.gather(
                    *(
                        http.post("/api/v1/ecards/verify", json=b, headers=desk.headers)
                        for b in body
                    )
                )
            )

    answers = run_async(go())
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 6 + [409] * 6, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"qr_replayed"}
    verifier = app.state.ecard_verifier
    assert verifier.jobs == 12
    assert verifier.batches < 12  # they shared transactions


def test_a_static_code_with_its_pin_is_verified_on_its_own(desk: Desk, app: FastAPI) -> None:
    ecard = desk.ecard()
    pin = desk.client.patch(
        f"/api/v1/ecards/{ecard['id']}", json={"pin": "246810"}, headers=desk.headers
    )
    assert pin.status_code == 200, pin.text
    printed = desk.code(ecard["id"], static=True)
    assert desk.verify(printed, pin="246810").status_code == 200
    verifier = app.state.ecard_verifier
    assert verifier.jobs == 0  # not queued: the PIN hash is slow on purpose


def test_a_console_session_gone_idle_in_a_batch_costs_the_others_nothing(
    desk: Desk, app: FastAPI, session: Session, session_factory: sessionmaker[Session]
) -> None:
    """Resolving an idle console session commits its end at once; the batch's other
    verifications must still be logged and committed."""
    create_staff(
        desk.session,
        username="counter1",
        roles=["doctor"],
        institution=desk.centre.hospital.institution,
    )
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert login(desk.client, "counter1").status_code == 303
    cookie = desk.client.cookies.get("hc_session")
    desk.client.cookies.clear()
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        ecard = desk.ecard()
        code = desk.code(ecard["id"])
        jobs = [
            _job(app, {"Cookie": f"hc_session={cookie}"}, 0, desk.code(desk.ecard()["id"])),
            _job(app, desk.headers, 1, code),
        ]
        answers = ecard_service.verify_batch(session_factory, desk.settings, jobs)
    assert answers[0].error is not None
    assert answers[0].error.status_code == 401
    assert answers[1].error is None
    session.expire_all()
    logged = session.execute(
        select(ECardQrUse.outcome).where(ECardQrUse.ecard_id == ecard["id"])
    ).scalars()
    assert list(logged) == ["accepted"]
    ended = session.execute(
        select(AuditEvent.id).where(AuditEvent.action == "session.expired")
    ).scalars()
    assert list(ended)
