"""What a QR code or card is used for at a counter (用卡场景). Terminals are registered for some
of them, institution systems may be limited to some of them, and every use-log row names one."""

from __future__ import annotations

from typing import Literal

from healthcard.core.i18n import N_

CodeUse = Literal["registration", "payment", "report", "dispensing", "card_service"]
CODE_USES: tuple[CodeUse, ...] = ("registration", "payment", "report", "dispensing", "card_service")
USE_NAMES: dict[str, str] = {
    "registration": N_("挂号"),
    "payment": N_("缴费"),
    "report": N_("取报告"),
    "dispensing": N_("取药"),
    "card_service": N_("卡务"),
}
