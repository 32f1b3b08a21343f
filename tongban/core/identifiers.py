"""Validation of the identifiers every form asks for.

- Resident identity number (公民身份号码, GB 11643-1999): 6-digit address code, birth date,
  3-digit sequence, ISO 7064 MOD 11-2 check character.
- Unified social credit code (统一社会信用代码, GB 32100-2015): check character over 31
  symbols, and the embedded organisation code (GB 11714) with its own check.
- Mainland mobile phone numbers.

The check-character arithmetic comes from python-stdnum. Its birthplace lookup is
deliberately not used as a validity rule: people keep their number for life when their
county is renamed or abolished, so an address code that is no longer (or not yet) in the
GB/T 2260 table is still a valid number. Only the province digits are checked.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from stdnum.cn import ric, uscc


@dataclass(frozen=True)
class IdentifierCheck:
    valid: bool
    reason: str | None
    normalized: str


# GB/T 2260 province-level codes. 71/81/82 are Taiwan, Hong Kong and Macao, whose residence
# permits for mainland use (港澳台居民居住证, since 2018) carry 810000/820000/830000 numbers;
# 83 is the Taiwan residence-permit prefix.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip

_RESIDENT_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")
# Registration authority (first character) → allowed organisation kinds (second character).
_USCC_KINDS = {
    "1": "1239",  # 机构编制
    "2": "19",  # 外交
    "3": "12345",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监督管理（工商）
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "19",  # 其他
}


def _clean(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").upper()


def _fail(reason: str, normalized: str) -> IdentifierCheck:
    return IdentifierCheck(valid=False, reason=reason, normalized=normalized)


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    # stdnum's calc_check_digit ignores the last character of what it is given.
    return str(ric.calc_check_digit(first17 + "0"))


def validate_resident_id(value: str, today: datetime.date | None = None) -> IdentifierCheck:
    number = _clean(value)
    if len(number) != 18:
        return _fail("公民身份号码应为18位", number)
    if not _RESIDENT_ID_SHAPE.match(number):
        return _fail("公民身份号码前17位应为数字，最后一位为数字或X", number)
    if number[:2] not in PROVINCE_CODES:
        return _fail("公民身份号码的前两位不是有效的省级行政区划代码", number)
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _fail("公民身份号码中的出生日期无效", number)
    today = today or timezone.localdate()
    if birth > today:
        return _fail("公民身份号码中的出生日期晚于今天", number)
    if birth.year < 1850:
        return _fail("公民身份号码中的出生日期无效", number)
    if resident_id_check_char(number[:17]) != number[17]:
        return _fail("公民身份号码校验位错误，请核对", number)
    return IdentifierCheck(valid=True, reason=None, normalized=number)


def organisation_code_check_char(first_eight: str) -> str:
    """GB 11714 check character over the first eight characters of an organisation code."""
    total = sum(
        _ORG_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first_eight, _ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(value: str) -> IdentifierCheck:
    code = _clean(value)
    if len(code) != 18:
        return _fail("统一社会信用代码应为18位", code)
    if any(char not in _USCC_ALPHABET for char in code):
        return _fail("统一社会信用代码含有无效字符（不使用I、O、S、V、Z）", code)
    allowed_kinds = _USCC_KINDS.get(code[0])
    if allowed_kinds is None:
        return _fail("统一社会信用代码第1位不是有效的登记管理部门代码", code)
    if code[1] not in allowed_kinds:
        return _fail("统一社会信用代码第2位不是有效的机构类别代码", code)
    if not code[2:8].isdigit():
        return _fail("统一社会信用代码第3至8位应为行政区划代码", code)
    if uscc.calc_check_digit(code[:17]) != code[17]:
        return _fail("统一社会信用代码校验位错误，请核对", code)
    org_code = code[8:17]
    if organisation_code_check_char(org_code[:8]) != org_code[8]:
        return _fail("统一社会信用代码中的组织机构代码校验位错误", code)
    return IdentifierCheck(valid=True, reason=None, normalized=code)


def validate_phone(value: str) -> IdentifierCheck:
    number = _clean(value)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    if not _MOBILE_SHAPE.match(number):
        return _fail("请填写11位中国大陆手机号码", number)
    return IdentifierCheck(valid=True, reason=None, normalized=number)


def make_uscc(prefix17: str) -> str:
    """Append the check character to 17 characters (used by demo data and tests)."""
    return prefix17 + uscc.calc_check_digit(prefix17)


def make_org_code(first_eight: str) -> str:
    return first_eight + organisation_code_check_char(first_eight)


def make_resident_id(prefix17: str) -> str:
    return prefix17 + resident_id_check_char(prefix17)


VALIDATORS: dict[str, Callable[[str], IdentifierCheck]] = {
    "resident_id": validate_resident_id,
    "uscc": validate_uscc,
    "phone": validate_phone,
}


def mask_identifier(value: str) -> str:
    """Show only the first four and last four characters (for lists and logs): the
    prefecture and the end, as in 4306**********1235 — not the county or the birth date."""
    if len(value) <= 8:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****0001: the carrier prefix and last four digits, as on SMS notices."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
