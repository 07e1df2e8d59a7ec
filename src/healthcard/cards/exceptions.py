"""Errors of the cards domain."""

from __future__ import annotations

from healthcard.core.errors import AppError, Conflict, NotFound


class CardNotFound(NotFound):
    code = "card_not_found"
    message = "健康卡不存在。"


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    message = "申领记录不存在。"


class IllegalTransition(Conflict):
    """A lifecycle move that is not allowed from the card's current state."""

    code = "illegal_transition"


class LiveCardExists(Conflict):
    code = "live_card_exists"
    message = "该居民已有一张有效（或在制）健康卡：请办理补卡或换卡，而不是重新申领。"


class NoDocumentNumber(Conflict):
    code = "no_document_number"
    message = "该居民没有登记身份证件号码，健康卡卡号即证件号，请先补充证件信息。"


class TerminalRefused(AppError):
    status_code = 403
    code = "terminal_refused"


class RegistryNotFound(NotFound):
    code = "registry_not_found"
    message = "登记项不存在。"


class DuplicateRegistry(Conflict):
    code = "duplicate"
