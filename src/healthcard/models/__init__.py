"""Every table of the platform, so Alembic and tests see one complete metadata."""

from healthcard.core.audit import AuditChainHead, AuditEvent
from healthcard.core.db import Base
from healthcard.models.api_client import AccessToken, ApiClient
from healthcard.models.card import (
    CardApplication,
    CardEvent,
    CardManufacturer,
    CardProduct,
    HealthCard,
    ProductionBatch,
    SamCard,
    Terminal,
)
from healthcard.models.division import Division
from healthcard.models.ecard import ECard, ECardNonce, ECardQrUse, ECardSigningKey
from healthcard.models.institution import Department, Institution
from healthcard.models.person import (
    LinkModelVersion,
    MatchReview,
    NonMatch,
    Person,
    PersonIdentifier,
    PersonMerge,
    PersonRecord,
)
from healthcard.models.staff import (
    Permission,
    Role,
    RolePermission,
    StaffSession,
    StaffUser,
    UserRole,
)

__all__ = [
    "AccessToken",
    "ApiClient",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "CardApplication",
    "CardEvent",
    "CardManufacturer",
    "CardProduct",
    "Department",
    "Division",
    "ECard",
    "ECardNonce",
    "ECardQrUse",
    "ECardSigningKey",
    "HealthCard",
    "Institution",
    "LinkModelVersion",
    "MatchReview",
    "NonMatch",
    "Permission",
    "Person",
    "PersonIdentifier",
    "PersonMerge",
    "PersonRecord",
    "ProductionBatch",
    "Role",
    "RolePermission",
    "SamCard",
    "StaffSession",
    "StaffUser",
    "Terminal",
    "UserRole",
]
