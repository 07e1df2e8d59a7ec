"""Console pages of the master patient index: search, person, register, review queue, merges."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthcard.core.errors import AppError
from healthcard.core.forms import errors_of, form_values, validate
from healthcard.core.i18n import N_
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, panels_for, render
from healthcard.identity import service
from healthcard.identity.permissions import (
    EMPI_REVIEW,
    RESIDENTS_READ,
    RESIDENTS_REGISTER,
    RESIDENTS_REVEAL,
    EmpiReview,
    ResidentsRead,
    ResidentsRegister,
    ResidentsReveal,
)
from healthcard.identity.schemas import RegistrationIn

router = APIRouter(include_in_schema=False)
add_nav(N_("居民主索引"), N_("居民查询"), "/console/residents", RESIDENTS_READ, order=50)
add_nav(N_("居民主索引"), N_("登记居民"), "/console/register", RESIDENTS_REGISTER, order=51)
add_nav(N_("居民主索引"), N_("待审核配对"), "/console/empi/reviews", EMPI_REVIEW, order=52)

FIELD_LABELS = {
    "id_number": N_("证件号"),
    "name": N_("姓名"),
    "birth_date": N_("出生日期"),
    "sex": N_("性别"),
    "phone": N_("电话"),
    "address": N_("地址"),
}
# The comparison levels of the matching model (healthcard.identity.linkage.comparisons), for people.
LEVEL_LABELS = {
    "Same valid ID": N_("身份证号相同"),
    "Same other document": N_("其他证件号相同"),
    "Same ID digits, not both valid": N_("证件号数字相同（非均有效）"),
    "Different valid IDs": N_("两个不同的有效身份证号"),
    "ID one digit off or transposed": N_("证件号差一位或相邻两位颠倒"),
    "Same characters": N_("姓名汉字相同"),
    "Same pinyin (homophone)": N_("姓名拼音相同（同音字）"),
    "Same surname, a given-name character in common": N_("同姓，名中有相同汉字"),
    "Same surname, given name pinyin": N_("同姓，名的拼音相近"),
    "Same surname": N_("仅姓相同"),
    "Same birth date": N_("出生日期相同"),
    "Month and day swapped": N_("月、日颠倒"),
    "One character different": N_("相差一个字符"),
    "Same month and day": N_("月日相同"),
    "Same year": N_("同年出生"),
    "Same sex": N_("性别相同"),
    "Same phone": N_("电话相同"),
    "Same last 7 digits": N_("电话后 7 位相同"),
    "Same address": N_("地址相同"),
    "Same county": N_("同一区县"),
    "All other": N_("不一致"),
}


def level_label(label: str) -> str:
    """The Chinese label of a comparison level (English labels come from the model)."""
    if label.endswith("missing"):
        return N_("一方缺失")
    for prefix, text in LEVEL_LABELS.items():
        if label.startswith(prefix):
            return text
    return label


OUTCOME_LABELS = {
    "created": N_("新建居民"),
    "matched": N_("匹配到已有居民"),
    "review": N_("待人工审核"),
}


@router.get("/console/residents")
def search_page(
    request: Request,
    session: DbSession,
    principal: ResidentsRead,
    name: Annotated[str | None, Query(max_length=50)] = None,
    birth_date: date | None = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    id_suffix: Annotated[str | None, Query(max_length=4)] = None,
    identifier: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """Find residents by name (characters or pinyin), birth date, phone, last ID digits."""
    settings = request.app.state.settings
    query = service.Query(
        name=name or None, birth_date=birth_date, phone=phone or None, id_suffix=id_suffix or None
    )
    results: list[service.PersonView] = []
    searched = bool(identifier) or any(vars(query).values())
    if identifier and "|" in identifier:
        system, _, value = identifier.partition("|")
        one = service.by_identifier(
            session, settings=settings, actor=principal, system=system, value=value
        )
        results = [one] if one else []
    elif searched:
        results = service.search(session, settings=settings, actor=principal, query=query)
    filters = {
        "name": name or "",
        "birth_date": birth_date.isoformat() if birth_date else "",
        "phone": phone or "",
        "id_suffix": id_suffix or "",
        "identifier": identifier or "",
    }
    return render(
        request,
        "identity/search.html",
        {"results": results, "filters": filters, "searched": searched},
    )


@router.get("/console/residents/{person_id}")
def person_page(
    request: Request, session: DbSession, principal: ResidentsRead, person_id: int
) -> Response:
    """One resident: demographics (masked), identifiers, merges."""
    return _person(request, session, principal, person_id, reveal=False)


@router.post("/console/residents/{person_id}/reveal")
def reveal(
    request: Request, session: DbSession, principal: ResidentsReveal, person_id: int
) -> Response:
    """Show the full ID number and phone (needs the permission; audited)."""
    return _person(request, session, principal, person_id, reveal=True)


def _person(
    request: Request, session: Any, principal: Any, person_id: int, *, reveal: bool, **extra: Any
) -> Response:
    settings = request.app.state.settings
    found = service.view(
        session, settings=settings, actor=principal, person_id=person_id, reveal=reveal
    )
    context = {
        "found": found,
        "merges": service.merges_of(session, person_id),
        "can_reveal": principal.has(RESIDENTS_REVEAL),
        "can_review": principal.has(EMPI_REVIEW),
        "panels": panels_for("person", request, session, person_id),
        **extra,
    }
    return render(request, "identity/person.html", context)


@router.get("/console/register")
def register_page(request: Request, _: ResidentsRegister) -> Response:
    """The form for registering a patient under the institution's own number."""
    return render(request, "identity/register.html", {"values": {}, "errors": {}, "result": None})


@router.post("/console/register")
async def register(request: Request, session: DbSession, principal: ResidentsRegister) -> Response:
    """Register from the form and say what became of it."""
    values = form_values(await request.form())
    values["identifier"] = {"value": values.pop("local_id", None) or ""}
    data, errors = validate(RegistrationIn, values)
    if data is not None:
        try:
            result = service.register(
                session, settings=request.app.state.settings, actor=principal, data=data
            )
        except AppError as error:
            errors = errors_of(error)
        else:
            return render(
                request,
                "identity/register.html",
                {"values": {}, "errors": {}, "result": result, "outcome_labels": OUTCOME_LABELS},
            )
    values["local_id"] = values.pop("identifier", {}).get("value")
    if "identifier" in errors:
        errors["local_id"] = errors.pop("identifier")
    return render(
        request,
        "identity/register.html",
        {"values": values, "errors": errors, "result": None},
        status_code=422,
    )


@router.get("/console/empi/reviews")
def reviews_page(
    request: Request, session: DbSession, _: EmpiReview, offset: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """Pending pairs, most probable first."""
    rows, total = service.queue(session, offset=offset, limit=50)
    return render(
        request,
        "identity/reviews.html",
        {"rows": rows, "total": total, "offset": offset, "limit": 50},
    )


@router.get("/console/empi/reviews/{review_id}")
def review_page(
    request: Request, session: DbSession, principal: EmpiReview, review_id: int
) -> Response:
    """Two records side by side; agreeing and disagreeing fields highlighted, score per field."""
    pair = service.pair(
        session, settings=request.app.state.settings, actor=principal, review_id=review_id
    )
    context = {"pair": pair, "field_labels": FIELD_LABELS, "level_label": level_label}
    return render(request, "identity/review.html", context)


@router.post("/console/empi/reviews/{review_id}")
async def decide(
    request: Request, session: DbSession, principal: EmpiReview, review_id: int
) -> Response:
    """Same person (merge) or not the same (remembered)."""
    form = await request.form()
    same = form.get("decision") == "same"
    review = service.decide(
        session,
        actor=principal,
        review_id=review_id,
        same=same,
    )
    target = min(review.person_id, review.candidate_person_id) if same else None
    url = f"/console/residents/{target}?merged=1" if target else "/console/empi/reviews?decided=1"
    return RedirectResponse(url, status_code=303)


@router.post("/console/empi/merges/{merge_id}/undo")
def undo_merge(session: DbSession, principal: EmpiReview, merge_id: int) -> Response:
    """Undo a merge, restoring both persons exactly."""
    merge = service.unmerge(session, actor=principal, merge_id=merge_id)
    return RedirectResponse(f"/console/residents/{merge.survivor_id}?unmerged=1", status_code=303)
