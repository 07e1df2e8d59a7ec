"""Errors of the public-health programmes."""

from __future__ import annotations

from healthcard.core.errors import Conflict, NotFound, ValidationFailed


class EnrolmentNotFound(NotFound):
    code = "enrolment_not_found"
    message = "重点人群管理记录不存在。"


class FollowUpNotFound(NotFound):
    code = "followup_not_found"
    message = "随访记录不存在。"


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    message = "居民不存在。"


class ReportNotFound(NotFound):
    code = "infectious_report_not_found"
    message = "传染病报告卡不存在。"


class NoActiveRecord(Conflict):
    code = "no_active_record"
    message = "该居民没有有效的健康档案：请先建立健康档案，再纳入重点人群管理。"


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"
    message = "该居民已在此项目的管理中。"


class NotEligible(ValidationFailed):
    code = "not_eligible"


class FollowUpClosed(Conflict):
    code = "followup_closed"
    message = "该随访已完成或已取消，不能再次填写。"


class DoseAlreadyRecorded(Conflict):
    code = "dose_already_recorded"
    message = "该剂次已登记过接种记录。"


class ReportAlreadyReviewed(Conflict):
    code = "report_already_reviewed"
    message = "该报告卡已审核。"
