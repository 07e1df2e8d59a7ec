"""The authenticated caller, shared by auth and audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PrincipalKind = Literal["staff", "client", "resident", "system"]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and what it may do."""

    kind: PrincipalKind
    id: int
    name: str
    institution_id: int | None = None
    institution_name: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)
    platform_wide: bool = False
    session_id: int | None = None
    csrf_token: str | None = None
    # A system limited to some uses of codes (APP接入管理); None: not limited.
    uses: frozenset[str] | None = None

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def may_act_in(self, institution_id: int | None) -> bool:
        """Platform-wide principals act anywhere; the others only within their own institution."""
        return self.platform_wide or (
            institution_id is not None and institution_id == self.institution_id
        )

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


def system_principal(name: str) -> Principal:
    """The platform itself acting (command line, jobs): everywhere, audited under ``name``."""
    return Principal(kind="system", id=0, name=name, platform_wide=True)
