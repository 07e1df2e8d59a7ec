"""Console pages of the accounts domain."""

from fastapi import APIRouter

from healthcard.accounts.pages import account, clients, institutions, login, roles, staff

router = APIRouter(include_in_schema=False)
for module in (login, account, institutions, staff, roles, clients):
    router.include_router(module.router)
