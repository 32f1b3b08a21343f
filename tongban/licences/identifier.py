"""Electronic licence identifiers (电子证照标识, GB/T 36904-2018).

    1.2.156.3005.2 . <证照类型代码> . <颁发机构代码> . <流水号> . <版本号> . <校验位>

- 1.2.156.3005.2: the e-licence root OID.
- 证照类型代码 (type code): the issuing ministry's unified social credit code (18 characters)
  followed by a 3-digit sequence, e.g. 11100000000013338W011 (MOHURD).
- 颁发机构代码 (issuer code): the issuing agency's unified social credit code.
- 流水号 (serial): digits and upper-case letters, unique per issuer and type.
- 版本号 (version): 3 digits; a changed or renewed licence keeps everything before the version
  (`LicenceIdentifier.base`) and gets the next version.
- 校验位 (check character): ISO 7064 MOD 37,36 (hybrid system, alphabet 0-9A-Z) over type code +
  issuer code + serial + version, concatenated without the dots.

Identifiers issued by Tongban always use the ISO 7064 check. Some identifiers in circulation
were issued by a widely deployed vendor implementation that values letters one higher
(A=11 … Z=36) and reduces sums modulo 37 instead of 36 in one branch; the Shandong shared-licence
interface examples use it (1.2.156.3005.2.11100000000013661B006.113700000045046442.
209FA4E88F9E4C878F3E9BED2CE7EA49.001.M fails ISO 7064, which expects D). Those licences are
still presented by applicants from those provinces, so the parser accepts that check as well
unless told not to, and records which one matched so `str()` gives back the same identifier.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

from tongban.core.identifiers import validate_uscc

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_TYPE_CODE_SHAPE = re.compile(rf"[{_USCC_ALPHABET}]{{18}}[0-9]{{3}}")
_SERIAL_SHAPE = re.compile(r"[0-9A-Z]{1,64}")
_VERSION_SHAPE = re.compile(r"[0-9]{3}")


class InvalidIdentifier(ValueError):
    """The text is not a valid e-licence identifier; the message says why, in Chinese."""


class CheckScheme(enum.Enum):
    ISO_7064 = "iso7064"
    LEGACY = "legacy"


def _iso_check_char(body: str) -> str:
    return str(mod_37_36.calc_check_digit(body))


def _legacy_check_char(body: str) -> str:
    """The vendor variant described in the module docstring, for reading foreign identifiers."""
    modulus = 36
    product = modulus
    for char in body:
        is_letter = char.isalpha()
        value = ALPHABET.index(char) + (1 if is_letter else 0)
        total = product + value
        # The variant reduces a letter's sum modulo 37 (not 36) once it exceeds 37.
        if is_letter and total > modulus + 1:
            total %= modulus + 1
        elif not is_letter and total > modulus:
            total %= modulus
        total = total % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return ALPHABET[modulus - product]


_CHECKERS = {CheckScheme.ISO_7064: _iso_check_char, CheckScheme.LEGACY: _legacy_check_char}


@dataclass(frozen=True)
class LicenceIdentifier:
    """One version of one licence. Fields are stored upper-case, as printed on the licence."""

    type_code: str
    issuer_code: str
    serial: str
    version: int
    check_scheme: CheckScheme = CheckScheme.ISO_7064

    def __post_init__(self) -> None:
        _check_type_code(self.type_code)
        _check_issuer_code(self.issuer_code)
        _check_serial(self.serial)
        _check_version_number(self.version)

    @property
    def base(self) -> str:
        """The identifier without version and check: the same for every version of a licence."""
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}"

    @property
    def version_text(self) -> str:
        return f"{self.version:03d}"

    @property
    def check(self) -> str:
        body = self.type_code + self.issuer_code + self.serial + self.version_text
        return _CHECKERS[self.check_scheme](body)

    def __str__(self) -> str:
        return f"{self.base}.{self.version_text}.{self.check}"


def _check_type_code(type_code: str) -> None:
    if not _TYPE_CODE_SHAPE.fullmatch(type_code):
        raise InvalidIdentifier(
            f"证照类型代码“{type_code}”格式错误：应为21位，"
            "即发证部门的统一社会信用代码（18位）加3位数字顺序号"
        )


def _check_issuer_code(issuer_code: str) -> None:
    check = validate_uscc(issuer_code)
    if not check.valid or check.normalized != issuer_code:
        raise InvalidIdentifier(
            f"颁发机构代码“{issuer_code}”不是有效的统一社会信用代码：{check.reason or '含有空白'}"
        )


def _check_serial(serial: str) -> None:
    if not _SERIAL_SHAPE.fullmatch(serial):
        raise InvalidIdentifier(f"流水号“{serial}”格式错误：应为1至64位数字或大写字母")


def _check_version_number(version: int) -> None:
    # bool is an int subclass; True must not silently become version 001.
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 999:
        raise InvalidIdentifier(f"版本号“{version}”错误：应为1至999（写作3位数字001–999）")


def build_identifier(
    type_code: str, issuer_code: str, serial: str, version: int = 1
) -> LicenceIdentifier:
    """A new identifier with the ISO 7064 check (input may be lower-case)."""
    return LicenceIdentifier(
        type_code=type_code.strip().upper(),
        issuer_code=issuer_code.strip().upper(),
        serial=serial.strip().upper(),
        version=version,
    )


def new_serial(length: int = 20) -> str:
    """A random serial of digits and upper-case letters (about 5.2 bits per character).

    Random rather than sequential so that nobody can enumerate a department's licences by
    counting up through the public verification page.
    """
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def parse_identifier(text: str, *, accept_legacy_check: bool = True) -> LicenceIdentifier:
    """Parse and validate an identifier; raise InvalidIdentifier saying which part is wrong."""
    value = (text or "").strip().upper()
    if not value:
        raise InvalidIdentifier("电子证照标识不能为空")
    if not value.startswith(ROOT + "."):
        raise InvalidIdentifier(f"电子证照标识应以根代码 {ROOT} 开头")
    parts = value[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise InvalidIdentifier(
            "电子证照标识在根代码之后应有5段（证照类型代码.颁发机构代码.流水号.版本号.校验位），"
            f"实有{len(parts)}段"
        )
    type_code, issuer_code, serial, version_text, check = parts
    if not _VERSION_SHAPE.fullmatch(version_text) or version_text == "000":
        raise InvalidIdentifier(f"版本号“{version_text}”错误：应为3位数字（001–999）")
    if len(check) != 1 or check not in ALPHABET:
        raise InvalidIdentifier(f"校验位“{check}”错误：应为1位数字或大写字母")
    identifier = LicenceIdentifier(type_code, issuer_code, serial, int(version_text))
    if identifier.check == check:
        return identifier
    if accept_legacy_check:
        legacy = LicenceIdentifier(
            type_code, issuer_code, serial, int(version_text), CheckScheme.LEGACY
        )
        if legacy.check == check:
            return legacy
    raise InvalidIdentifier(
        f"校验位错误：按 ISO 7064 MOD 37,36 计算应为“{identifier.check}”，实为“{check}”。"
        "请核对证照类型代码、颁发机构代码、流水号和版本号是否抄错"
    )


def next_version(identifier: LicenceIdentifier | str) -> LicenceIdentifier:
    """The identifier of the licence's next version (same base, version + 1, new check)."""
    current = parse_identifier(identifier) if isinstance(identifier, str) else identifier
    if current.version >= 999:
        raise InvalidIdentifier("版本号已达999，不能再生成新版本")
    return LicenceIdentifier(
        current.type_code,
        current.issuer_code,
        current.serial,
        current.version + 1,
        current.check_scheme,
    )
