"""Errors of the identity domain."""

from __future__ import annotations

from healthcard.core.errors import Conflict, FieldError, NotFound, ValidationFailed


class InvalidIdNumber(ValidationFailed):
    """A resident ID (or other document) number that is not valid, with the precise reason."""

    code = "invalid_id_number"

    def __init__(self, message: str, reason: str, field: str = "id_number") -> None:
        super().__init__(message, errors=[FieldError(field, message, reason)])
        self.reason = reason


class InconsistentDemographics(ValidationFailed):
    """Birth date or sex given disagree with what the ID number says."""

    code = "id_number_mismatch"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors=[FieldError(field, message, "id_number_mismatch")])


class PersonNotFound(NotFound):
    code = "person_not_found"
    message = "居民不存在。"


class ReviewNotFound(NotFound):
    code = "review_not_found"
    message = "待审核配对不存在。"


class ReviewAlreadyDecided(Conflict):
    code = "review_decided"
    message = "该配对已经处理过。"


class MergeNotFound(NotFound):
    code = "merge_not_found"
    message = "合并记录不存在。"


class MergeAlreadyUndone(Conflict):
    code = "merge_undone"
    message = "该合并已经撤销。"


class MergeNotLatest(Conflict):
    code = "merge_not_latest"
    message = "合并之后两人的记录又有变化（后续合并），请先撤销后续合并。"


class IdentifierTaken(Conflict):
    code = "identifier_taken"
    message = "该标识已属于另一位居民。"
