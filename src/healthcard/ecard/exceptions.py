"""Errors of the ecard domain. Every verification refusal has its own stable code."""

from __future__ import annotations

from healthcard.core.errors import AppError, Conflict, NotFound, ValidationFailed


class ECardNotFound(NotFound):
    code = "ecard_not_found"
    message = "电子健康卡不存在。"


class ECardExists(Conflict):
    code = "ecard_exists"
    message = "该居民已有一张有效的电子健康卡，无需重复申领。"


class ECardNotActive(Conflict):
    code = "ecard_not_active"
    message = "电子健康卡已注销，不能办理此业务。"


class InvalidBankCard(ValidationFailed):
    code = "invalid_bank_card"
    message = "银行卡号格式不正确（应为 12–19 位数字且通过 Luhn 校验）。"


class NoSigningKey(AppError):
    status_code = 503
    code = "no_signing_key"
    message = "平台尚无可用的电子健康卡签名密钥：请安全管理员运行 healthcard keys rotate。"


class SigningKeyNotFound(NotFound):
    code = "signing_key_not_found"
    message = "签名密钥不存在。"


class MasterKeyMissing(AppError):
    status_code = 500
    code = "master_key_missing"
    message = "主密钥文件未配置或无法读取（HEALTHCARD_MASTER_KEY_FILE）。"


class QrRefused(AppError):
    """A QR code that did not verify; subclasses name why."""

    status_code = 401
    code = "qr_refused"
    message = "二维码校验未通过。"


class QrMalformed(QrRefused):
    status_code = 400
    code = "qr_malformed"
    message = "二维码内容不完整或被篡改（格式、长度或版本不对），请让居民刷新后重新扫码。"


class QrUnknownKey(QrRefused):
    code = "qr_unknown_key"
    message = "二维码由未知的签名密钥签发：请更新终端的平台公钥列表后重试。"


class QrKeyRevoked(QrRefused):
    code = "qr_key_revoked"
    message = "二维码的签名密钥已被吊销，此码作废：请居民重新生成二维码。"


class QrKeyRetired(QrRefused):
    code = "qr_key_retired"
    message = "二维码的签名密钥已停用，此码不再有效：请居民重新生成二维码。"


class QrBadSignature(QrRefused):
    code = "qr_bad_signature"
    message = "二维码签名验证失败（可能被伪造或篡改），拒绝受理。"


class QrExpired(QrRefused):
    code = "qr_expired"
    message = "二维码已过期，请居民刷新二维码后重新扫码。"


class QrNotYetValid(QrRefused):
    code = "qr_not_yet_valid"
    message = "二维码的签发时间晚于当前时间：请检查终端时钟。"


class QrUnknownCode(QrRefused):
    code = "qr_unknown_code"
    message = "此二维码不是平台签发的（电子健康卡或一次性随机数未登记），拒绝受理。"


class QrReplayed(QrRefused):
    status_code = 409
    code = "qr_replayed"
    message = "此动态二维码已被使用，请居民刷新二维码后重新扫码。"


class QrStaticRevoked(QrRefused):
    code = "qr_static_revoked"
    message = "此静态二维码已作废（已重新打印或被撤销），请使用新的二维码。"


class QrPinRequired(QrRefused):
    code = "qr_pin_required"
    message = "静态二维码须由居民输入电子健康卡密码（PIN）后才能使用。"


class QrPinWrong(QrRefused):
    code = "qr_pin_wrong"
    message = "电子健康卡密码（PIN）不正确。"


class QrPinLocked(QrRefused):
    status_code = 423
    code = "qr_pin_locked"
    message = "电子健康卡密码（PIN）连续输错次数过多，静态码已暂时锁定，请稍后再试或使用动态码。"


class QrECardCancelled(QrRefused):
    status_code = 409
    code = "qr_ecard_cancelled"
    message = "该电子健康卡已注销，二维码不能使用。"


class QrCardLost(QrRefused):
    status_code = 409
    code = "qr_card_lost"
    message = "该居民的实体健康卡已挂失，电子健康卡暂停使用：请先办理解挂或补卡。"


class QrCardCancelled(QrRefused):
    status_code = 409
    code = "qr_card_cancelled"
    message = "该居民的实体健康卡已注销，电子健康卡不能使用。"


class TerminalUseNotAllowed(QrRefused):
    status_code = 403
    code = "terminal_use_not_allowed"
    message = "此终端未被授权办理该业务用途。"


class PinNotSet(Conflict):
    code = "pin_not_set"
    message = "静态二维码须先设置电子健康卡密码（PIN）。"


class ClientUseNotAllowed(QrRefused):
    status_code = 403
    code = "client_use_not_allowed"
    message = "本接入系统未被授权办理该业务的用码核验。"
