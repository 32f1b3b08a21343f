"""E-licence identifiers (GB/T 36904): structure, ISO 7064 MOD 37,36 check, versions.

The reference identifiers are real ones from public code (domain-china.md §6a): the first is
a MOHURD-format licence with a standard check; the second comes from the Shandong shared-licence
interface, whose check follows a vendor variant (see tongban/licences/identifier.py); the third
is the file name of a licence served by Zhejiang's investment-project platform.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongban.licences.identifier import (
    ALPHABET,
    ROOT,
    CheckScheme,
    InvalidIdentifier,
    LicenceIdentifier,
    build_identifier,
    new_serial,
    next_version,
    parse_identifier,
)

MOHURD = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
SHANDONG = (
    "1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M"
)
ZHEJIANG = "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0"
# Valid unified social credit codes of issuing agencies (from the identifiers above).
ISSUERS = ["11430000006122244L", "113700000045046442", "11330105002500287C"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        (MOHURD, CheckScheme.ISO_7064),
        (SHANDONG, CheckScheme.LEGACY),
        (ZHEJIANG, CheckScheme.ISO_7064),
    ],
)
def test_reference_identifiers_validate_and_print_back_unchanged(
    text: str, scheme: CheckScheme
) -> None:
    identifier = parse_identifier(text)
    assert identifier.check_scheme is scheme
    assert str(identifier) == text


def test_reference_identifier_parts() -> None:
    identifier = parse_identifier(MOHURD)
    assert identifier.type_code == "11100000000013338W011"
    assert identifier.issuer_code == "11430000006122244L"
    assert identifier.serial == "20230000403"
    assert identifier.version == 1
    assert identifier.check == "U"
    assert identifier.base == "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403"


def test_input_is_case_insensitive_and_output_upper_case() -> None:
    assert str(parse_identifier("  " + SHANDONG.lower() + " ")) == SHANDONG


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # one character changed in the serial, the version or the check: only the check notices
        (MOHURD.replace(".20230000403.", ".20230000413."), "校验位错误"),
        (MOHURD.replace(".001.", ".002."), "校验位错误"),
        (MOHURD[:-1] + "V", "校验位错误"),
        (SHANDONG.replace(".209FA4", ".209FB4"), "校验位错误"),
        # one character changed in the issuer's credit code: its own check fails first
        (MOHURD.replace("11430000006122244L", "11430000006122245L"), "颁发机构代码"),
        (MOHURD.replace("1.2.156.3005.2.", "1.2.156.3006.2."), "根代码"),
        (MOHURD.replace(".001.U", ".U"), "5段"),
        (MOHURD.replace(".001.", ".01."), "版本号"),
        (MOHURD.replace(".001.", ".000."), "版本号"),
        (MOHURD.replace("W011", "W11"), "证照类型代码"),
        (MOHURD.replace(".20230000403.", ".2023-0403."), "流水号"),
        (MOHURD[:-1] + "UU", "校验位"),
        # Unicode digits match Python's \d and int() accepts them; the standard means 0-9
        (MOHURD.replace(".001.", ".00١."), "版本号"),
        (MOHURD.replace("W011", "W01١"), "证照类型代码"),
        (MOHURD.replace(".20230000403.", ".20230000403\n."), "流水号"),
        ("", "不能为空"),
    ],
)
def test_a_changed_identifier_fails_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        parse_identifier(text)


def test_check_error_names_the_expected_character() -> None:
    with pytest.raises(InvalidIdentifier, match="应为“S”，实为“U”"):
        parse_identifier(MOHURD.replace(".001.", ".002."))


def test_strict_parsing_rejects_the_vendor_variant() -> None:
    # ISO 7064 gives D for the Shandong example; only the vendor variant gives its M.
    with pytest.raises(InvalidIdentifier, match="应为“D”"):
        parse_identifier(SHANDONG, accept_legacy_check=False)
    assert parse_identifier(MOHURD, accept_legacy_check=False).check == "U"


type_codes = st.builds(
    lambda head, seq: head + seq,
    st.text(USCC_ALPHABET, min_size=18, max_size=18),
    st.from_regex(r"\A[0-9]{3}\Z"),
)
serials = st.text(ALPHABET, min_size=1, max_size=64)
versions = st.integers(min_value=1, max_value=999)


@given(type_codes, st.sampled_from(ISSUERS), serials, versions)
def test_build_then_parse_round_trip(
    type_code: str, issuer: str, serial: str, version: int
) -> None:
    built = build_identifier(type_code.lower(), issuer, serial.lower(), version)
    parsed = parse_identifier(str(built), accept_legacy_check=False)
    assert parsed == built
    assert str(parsed) == f"{ROOT}.{type_code}.{issuer}.{serial}.{version:03d}.{built.check}"


@given(serials, st.data())
def test_every_single_character_substitution_in_the_serial_is_caught(
    serial: str, data: st.DataObject
) -> None:
    built = build_identifier("11100000000013338W011", ISSUERS[0], serial)
    position = data.draw(st.integers(0, len(serial) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != serial[position]))
    changed = serial[:position] + replacement + serial[position + 1 :]
    text = f"{ROOT}.{built.type_code}.{built.issuer_code}.{changed}.001.{built.check}"
    with pytest.raises(InvalidIdentifier, match="校验位错误"):
        parse_identifier(text, accept_legacy_check=False)


def test_next_version_keeps_the_base_and_recomputes_the_check() -> None:
    first = parse_identifier(MOHURD)
    second = next_version(first)
    assert second.base == first.base
    assert second.version == 2
    assert str(second) == MOHURD[:-5] + "002.S"
    assert next_version(MOHURD) == second
    assert parse_identifier(str(second)) == second


def test_next_version_of_a_vendor_variant_identifier_keeps_its_scheme() -> None:
    second = next_version(SHANDONG)
    assert second.check_scheme is CheckScheme.LEGACY
    assert parse_identifier(str(second)) == second


def test_version_999_is_the_last() -> None:
    last = build_identifier("11100000000013338W011", ISSUERS[0], "A1", version=999)
    assert str(last).endswith(".999." + last.check)
    with pytest.raises(InvalidIdentifier, match="999"):
        next_version(last)


@pytest.mark.parametrize("version", [0, 1000, -1, True])
def test_out_of_range_versions_are_refused(version: int) -> None:
    with pytest.raises(InvalidIdentifier, match="版本号"):
        LicenceIdentifier("11100000000013338W011", ISSUERS[0], "A1", version)


def test_new_serials_are_random_and_fit_the_identifier() -> None:
    serials_made = {new_serial() for _ in range(50)}
    assert len(serials_made) == 50
    for serial in serials_made:
        assert len(serial) == 20
        assert parse_identifier(str(build_identifier("11100000000013338W011", ISSUERS[0], serial)))
