"""The e-card console pages: a resident's e-card with its QR code, and scan-and-verify."""

from __future__ import annotations

import re

from tests.ecard.conftest import Desk

HTMX = {"HX-Request": "true"}


def _payload(html: str) -> str:
    found = re.search(r'data-testid="qr-payload">([^<]+)</textarea>', html)
    assert found, html
    return found.group(1)


def test_operator_shows_a_code_that_verifies_once(desk: Desk) -> None:
    client = desk.client  # the card centre's operator is logged in
    person = desk.person("欧阳明月")
    before = client.get(f"/console/residents/{person}")
    assert 'data-testid="ecard-link"' not in before.text
    opened = client.post(f"/console/residents/{person}/ecard", follow_redirects=True)
    assert opened.status_code == 200
    assert 'data-testid="qr-generate"' in opened.text
    assert 'data-testid="ecard-link"' in client.get(f"/console/residents/{person}").text

    code = client.post(f"/console/residents/{person}/ecard/qrcode", headers=HTMX)
    assert code.status_code == 200
    assert "<svg" in code.text
    assert 'data-expires-in="60"' in code.text or 'data-expires-in="59"' in code.text
    payload = _payload(code.text)

    page = client.get("/console/ecards/verify")
    assert 'value="T-001"' in page.text
    form = {"payload": payload, "terminal": "T-001", "use": "card_service"}
    accepted = client.post("/console/ecards/verify", data=form, headers=HTMX)
    assert accepted.status_code == 200
    assert 'data-outcome="accepted"' in accepted.text
    assert "欧**月" in accepted.text
    assert "欧阳明月" not in accepted.text

    replayed = client.post("/console/ecards/verify", data=form, headers=HTMX)
    assert 'data-outcome="refused"' in replayed.text
    assert 'data-code="qr_replayed"' in replayed.text
    assert "此动态二维码已被使用" in replayed.text

    uses = client.get(f"/console/residents/{person}/ecard").text
    table = uses.split('data-testid="ecard-uses"', 1)[1]
    assert table.count("<tr><td>") == 2
    assert "qr_replayed" in table


def test_refusals_without_htmx_render_the_whole_page(desk: Desk) -> None:
    form = {"payload": "HC1:NOT-A-CODE", "terminal": "T-001", "use": "card_service"}
    answer = desk.client.post("/console/ecards/verify", data=form)
    assert answer.status_code == 200
    assert 'data-testid="verify-form"' in answer.text
    assert 'data-outcome="refused"' in answer.text
    wrong_use = {**form, "use": "payment"}
    refused = desk.client.post("/console/ecards/verify", data=wrong_use, headers=HTMX)
    assert 'data-outcome="refused"' in refused.text


def test_no_code_for_a_resident_without_an_ecard(desk: Desk) -> None:
    person = desk.person()
    page = desk.client.get(f"/console/residents/{person}/ecard")
    assert 'data-testid="ecard-open"' in page.text
    assert 'data-testid="qr-generate"' not in page.text
    refused = desk.client.post(f"/console/residents/{person}/ecard/qrcode", headers=HTMX)
    assert refused.status_code == 404
