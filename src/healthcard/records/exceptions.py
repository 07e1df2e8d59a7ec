"""Errors of the records domain."""

from __future__ import annotations

from healthcard.core.errors import Conflict, NotFound, ValidationFailed


class RecordNotFound(NotFound):
    """No record, or one the caller may not read (the same answer, so ids cannot be probed)."""

    code = "record_not_found"
    message = "健康档案不存在，或您无权查阅。"


class FamilyNotFound(NotFound):
    code = "family_not_found"
    message = "家庭档案不存在，或不属于本机构。"


class TeamNotFound(NotFound):
    code = "team_not_found"
    message = "家庭医生团队不存在，或不属于本机构。"


class MigrationNotFound(NotFound):
    code = "migration_not_found"
    message = "迁移申请不存在，或不由您处理。"


class RecordExists(Conflict):
    code = "record_exists"
    message = "该居民已有健康档案：每位居民只建一份档案，请打开已有档案。"


class RecordReadOnly(Conflict):
    """A write to a record that is terminated or being migrated."""

    code = "record_read_only"


class MigrationConflict(Conflict):
    code = "migration_conflict"


class FamilyConflict(Conflict):
    code = "family_conflict"


class TeamConflict(Conflict):
    code = "team_conflict"


class RecordInvalid(ValidationFailed):
    code = "record_invalid"
