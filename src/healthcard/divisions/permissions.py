"""Permissions of the divisions domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

DIVISIONS_READ = define(
    "divisions.read", N_("查看行政区划"), roles=tuple(Role), client_grantable=True
)

DivisionsRead = Annotated[Principal, Depends(PermissionCheck(DIVISIONS_READ))]
