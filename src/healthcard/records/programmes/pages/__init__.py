"""Console pages of the public-health programmes (公共卫生): task lists, residents' programmes and
follow-up forms, immunisation with the printable certificate, infectious-disease reports and the
CDC's list, health education, referrals and consultations."""

from __future__ import annotations

from fastapi import APIRouter

from healthcard.core.i18n import N_
from healthcard.core.templating import add_nav
from healthcard.records.programmes.pages import activities, followups, immunisation, reports
from healthcard.records.programmes.permissions import (
    INFECTIOUS_REPORT,
    INFECTIOUS_REVIEW,
    PROGRAMMES_ACTIVITIES,
    PROGRAMMES_READ,
)

SECTION = N_("公共卫生")
add_nav(SECTION, N_("档案任务"), "/console/programmes/tasks", PROGRAMMES_READ, order=80)
add_nav(SECTION, N_("重点人群"), "/console/programmes/enrolments", PROGRAMMES_READ, order=81)
add_nav(SECTION, N_("预防接种"), "/console/immunisations", PROGRAMMES_READ, order=82)
add_nav(SECTION, N_("传染病报告"), "/console/infectious", INFECTIOUS_REPORT, order=83)
add_nav(SECTION, N_("传染病报告审核"), "/console/cdc/infectious", INFECTIOUS_REVIEW, order=84)
add_nav(
    SECTION, N_("健康教育与转诊"), "/console/programmes/activities", PROGRAMMES_ACTIVITIES, order=85
)

router = APIRouter(include_in_schema=False)
for part in (followups, immunisation, reports, activities):
    router.include_router(part.router)
