"""Permissions of the FHIR API that no other domain owns."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

CLINICAL_SUBMIT = define(
    "clinical.submit",
    N_("提交诊疗记录（就诊、诊断、检验、处方、出院小结、接种）"),
    roles=(Role.DOCTOR,),
    client_grantable=True,
)

ClinicalSubmit = Annotated[Principal, Depends(PermissionCheck(CLINICAL_SUBMIT))]
