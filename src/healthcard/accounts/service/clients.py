"""Institution systems (API clients) and OAuth2 client-credentials tokens."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from healthcard.accounts import repository
from healthcard.accounts.exceptions import (
    ClientNotFound,
    InvalidClient,
    InvalidField,
    InvalidScope,
    OutsideOwnInstitution,
)
from healthcard.accounts.schemas import ClientIn
from healthcard.core import audit
from healthcard.core import permissions as catalogue
from healthcard.core.config import Settings
from healthcard.core.crypto import digests_equal, new_token, token_digest
from healthcard.core.db import utcnow
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.models import AccessToken, ApiClient

LAST_USED_GRANULARITY = timedelta(minutes=5)


class TokenInvalid(AppError):
    status_code = 401
    code = "invalid_token"
    message = "访问令牌无效、已过期或已被吊销，请重新获取令牌。"


def grantable_scopes() -> list[catalogue.PermissionDef]:
    """Permissions that may be given to a system (not to be confused with staff-only ones)."""
    return [p for p in catalogue.all_permissions() if p.client_grantable]


def _check_scopes(scopes: list[str]) -> list[str]:
    allowed = {p.code for p in grantable_scopes()}
    bad = sorted(set(scopes) - allowed)
    if bad:
        raise InvalidField("scopes", f"不可授予接入系统的权限：{', '.join(bad)}。", "invalid_scope")
    return sorted(set(scopes))


@dataclass(frozen=True)
class IssuedSecret:
    """A client with its secret in clear: shown once, never stored."""

    client: ApiClient
    secret: str


def create_client(
    session: Session, *, settings: Settings, actor: Principal, data: ClientIn
) -> IssuedSecret:
    """Register an institution system and hand out its credentials."""
    if not actor.may_act_in(data.institution_id):
        raise OutsideOwnInstitution()
    if repository.get_institution(session, data.institution_id) is None:
        raise InvalidField("institution_id", "机构不存在。", "unknown_institution")
    scopes = _check_scopes(data.scopes)
    secret = new_token(32)
    client = ApiClient(
        client_id="hc_" + secrets.token_hex(12),
        name=data.name,
        institution_id=data.institution_id,
        secret_digest=token_digest(settings.secret_key, secret),
        scopes=" ".join(scopes),
        uses=" ".join(sorted(set(data.uses))),
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="client.create",
        resource_type="ApiClient",
        resource_id=client.client_id,
        detail={
            "scopes": scopes,
            "uses": sorted(set(data.uses)),
            "institution_id": data.institution_id,
        },
    )
    return IssuedSecret(client, secret)


def get_client(session: Session, *, actor: Principal, pk: int) -> ApiClient:
    """A client ``actor`` may manage (404 otherwise)."""
    client = repository.get_client(session, pk)
    if client is None or not actor.may_act_in(client.institution_id):
        raise ClientNotFound()
    return client


def list_clients(session: Session, *, actor: Principal) -> list[ApiClient]:
    """Clients ``actor`` may manage."""
    return [c for c in repository.all_clients(session) if actor.may_act_in(c.institution_id)]


def rotate_secret(
    session: Session, *, settings: Settings, actor: Principal, pk: int
) -> IssuedSecret:
    """Replace a client's secret; tokens already issued stay valid until they expire."""
    client = get_client(session, actor=actor, pk=pk)
    if not client.active:
        raise InvalidField("client", "已吊销的接入不能更换密钥。", "client_revoked")
    secret = new_token(32)
    client.secret_digest = token_digest(settings.secret_key, secret)
    audit.record(
        session,
        actor=actor,
        action="client.rotate_secret",
        resource_type="ApiClient",
        resource_id=client.client_id,
    )
    return IssuedSecret(client, secret)


def revoke_client(session: Session, *, actor: Principal, pk: int) -> ApiClient:
    """Revoke a client and every token it holds, at once."""
    client = get_client(session, actor=actor, pk=pk)
    client.active = False
    client.revoked_at = utcnow()
    repository.revoke_tokens_of(session, client.id)
    audit.record(
        session,
        actor=actor,
        action="client.revoke",
        resource_type="ApiClient",
        resource_id=client.client_id,
    )
    return client


def _client_label(client: ApiClient) -> Principal:
    return Principal(
        kind="client", id=client.id, name=client.name, institution_id=client.institution_id
    )


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scopes: list[str]


def issue_token(
    session: Session, *, settings: Settings, client_id: str, client_secret: str, scope: str | None
) -> IssuedToken:
    """OAuth2 client credentials: check the secret, grant the requested (or all) scopes."""
    client = repository.client_by_client_id(session, client_id)
    expected = client.secret_digest if client else "0" * 64
    secret_ok = digests_equal(expected, token_digest(settings.secret_key, client_secret))
    if client is None or not secret_ok or not client.active:
        audit.record(
            session,
            actor=_client_label(client) if client else None,
            actor_name=client_id[:200],
            action="token.denied",
            resource_type="ApiClient",
            resource_id=client_id[:200],
            outcome="failure",
        )
        raise InvalidClient()
    granted = set(client.scopes.split())
    requested = set(scope.split()) if scope else granted
    if not requested <= granted:
        raise InvalidScope(f"申请的 scope 超出授权范围：{' '.join(sorted(requested - granted))}。")
    token = new_token(32)
    now = utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    session.add(
        AccessToken(
            token_digest=token_digest(settings.secret_key, token),
            client_pk=client.id,
            scopes=" ".join(sorted(requested)),
            issued_at=now,
            expires_at=now + lifetime,
        )
    )
    client.last_used_at = now
    audit.record(
        session,
        actor=_client_label(client),
        action="token.issued",
        resource_type="ApiClient",
        resource_id=client.client_id,
        detail={"scopes": sorted(requested)},
    )
    return IssuedToken(token, int(lifetime.total_seconds()), sorted(requested))


def principal_from_token(session: Session, *, settings: Settings, token: str) -> Principal:
    """The client behind a bearer token; refuses expired, revoked or unknown tokens."""
    # One statement: every API call starts here, so it is kept to a single round trip.
    found = principals_from_tokens(session, settings=settings, tokens=[token])[token]
    if isinstance(found, AppError):
        raise found
    return found


def principals_from_tokens(
    session: Session, *, settings: Settings, tokens: Sequence[str]
) -> dict[str, Principal | AppError]:
    """:func:`principal_from_token` for several tokens in one statement: each token's client,
    or the refusal it would raise."""
    digests = {token: token_digest(settings.secret_key, token) for token in tokens}
    rows = repository.token_callers(session, list(digests.values()))
    now = utcnow()
    touched: set[int] = set()
    answers: dict[str, Principal | AppError] = {}
    for token, digest in digests.items():
        row = rows.get(digest)
        if row is None or row.revoked_at is not None or row.expires_at <= now or not row.active:
            answers[token] = TokenInvalid()
            continue
        stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY
        if stale and row.client_pk not in touched:
            repository.touch_client(session, row.client_pk, now)
            touched.add(row.client_pk)
        answers[token] = Principal(
            kind="client",
            id=row.client_pk,
            name=row.name,
            institution_id=row.institution_id,
            institution_name=row.institution_name,
            permissions=frozenset(row.scopes.split()),
            uses=frozenset(row.uses.split()) or None,
        )
    return answers
