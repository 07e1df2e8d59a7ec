"""Console pages: health-education activities, referrals and consultations (simple forms and
the institution's lists)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import render
from healthcard.records.programmes import service
from healthcard.records.programmes.permissions import ProgrammesActivities
from healthcard.records.programmes.schemas import ConsultationIn, EducationIn, ReferralIn
from healthcard.records.programmes.service.common import today

router = APIRouter()
KINDS = {
    "lecture": "健康知识讲座",
    "consultation": "公众健康咨询",
    "bulletin": "宣传栏",
    "media": "印刷/音像资料",
    "other": "其他",
}


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    institutions = {i.id: i.name for i in accounts_service.list_all_institutions(session)}
    context = {
        "education": service.education_list(session, actor=principal),
        "referrals": service.referral_list(session, actor=principal),
        "consultations": service.consultation_list(session, actor=principal),
        "institutions": institutions,
        "kinds": KINDS,
        "today": today(),
        "form": extra.pop("form", {}),
        **extra,
    }
    return render(request, "records/programmes/activities.html", context, status_code=status_code)


@router.get("/console/programmes/activities")
def activities(request: Request, session: DbSession, principal: ProgrammesActivities) -> Response:
    """Health education, referrals and consultations of the institution."""
    return _page(request, session, principal)


_SCHEMAS: dict[str, type[BaseModel]] = {
    "education": EducationIn,
    "referral": ReferralIn,
    "consultation": ConsultationIn,
}


@router.post("/console/programmes/activities/{kind}")
async def add(
    request: Request, session: DbSession, principal: ProgrammesActivities, kind: str
) -> Response:
    """Record an activity, a referral or a consultation."""
    form = await request.form()
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if str(v).strip()}
    if "urgent" in values:
        values["urgent"] = True
    schema = _SCHEMAS.get(kind)
    try:
        if schema is None:
            raise AppError("未知的登记类型。", status_code=404, code="not_found")
        data = schema.model_validate(values)
        if isinstance(data, EducationIn):
            service.add_education(session, actor=principal, data=data)
        elif isinstance(data, ReferralIn):
            service.add_referral(session, actor=principal, data=data)
        elif isinstance(data, ConsultationIn):
            service.add_consultation(session, actor=principal, data=data)
    except AppError as error:
        return _page(
            request,
            session,
            principal,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
            form=values,
        )
    except ValidationError as error:
        fields = "、".join(str(e["loc"][0]) for e in error.errors() if e["loc"])
        return _page(
            request,
            session,
            principal,
            status_code=422,
            flash=f"请检查填写的内容：{fields}。",
            flash_kind="error",
            form=values,
        )
    return _page(request, session, principal, flash="已登记。")
