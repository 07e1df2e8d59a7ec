"""Console pages of the records domain (健康档案), one module per part."""

from __future__ import annotations

from fastapi import APIRouter

from healthcard.records.pages import access, families, migrations, records

router = APIRouter(include_in_schema=False)
for part in (access, migrations, families, records):
    router.include_router(part.router)
