"""Identifier rules: GB 11643 resident IDs, GB 32100 credit codes, mobile numbers."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from tongban.core.identifiers import (
    PROVINCE_CODES,
    make_org_code,
    make_resident_id,
    make_uscc,
    mask_identifier,
    mask_phone,
    organisation_code_check_char,
    validate_phone,
    validate_resident_id,
    validate_uscc,
)

TODAY = datetime.date(2026, 11, 21)


@pytest.mark.parametrize(
    "number", ["360426199101010071", "120103198806018241", "11010519491231002X"]
)
def test_published_resident_ids_are_valid(number: str) -> None:
    check = validate_resident_id(number, today=TODAY)
    assert check.valid, check.reason
    assert check.reason is None


def test_lowercase_x_and_spaces_are_normalised() -> None:
    check = validate_resident_id(" 110105 19491231 002x ", today=TODAY)
    assert check.valid
    assert check.normalized == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason_fragment"),
    [
        ("360426199101010072", "校验位"),
        ("36042619910101007", "18位"),
        ("3604261991010100A1", "前17位"),
        ("990426199101010071", "省级"),
        ("360426199102300071", "出生日期无效"),
        ("360426202712010071", "晚于今天"),
    ],
)
def test_invalid_resident_ids_say_why(number: str, reason_fragment: str) -> None:
    if reason_fragment in {"省级", "出生日期无效", "晚于今天"}:
        # Give the number a correct check character so only the named rule can reject it.
        number = make_resident_id(number[:17])
    check = validate_resident_id(number, today=TODAY)
    assert not check.valid
    assert check.reason is not None
    assert reason_fragment in check.reason


def test_number_under_a_county_code_younger_than_its_holder_is_valid() -> None:
    # 君山区 (430611) was created in 1996. Someone born there in 1960 was issued an
    # 18-digit number (introduced 1999) under 430611, a code that did not exist in their
    # birth year. python-stdnum's birthplace table rejects that number; we must not.
    number = make_resident_id("43061119600101123")
    assert not ric.is_valid(number)
    assert validate_resident_id(number, today=TODAY).valid


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    rest=st.from_regex(r"\A\d{4}\Z"),
    birth=st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    seq=st.from_regex(r"\A\d{3}\Z"),
)
def test_any_number_with_correct_check_character_is_valid_and_one_flip_is_not(
    province: str, rest: str, birth: datetime.date, seq: str
) -> None:
    number = make_resident_id(f"{province}{rest}{birth:%Y%m%d}{seq}")
    assert validate_resident_id(number, today=TODAY).valid
    wrong = "0" if number[-1] != "0" else "1"
    assert not validate_resident_id(number[:17] + wrong, today=TODAY).valid


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # python-stdnum's published example
        "11100000000013338W",  # 住房和城乡建设部, from GB/T 36904 licence examples
        "91350100M000100Y43",
    ],
)
def test_real_credit_codes_are_valid(code: str) -> None:
    check = validate_uscc(code)
    assert check.valid, check.reason


@pytest.mark.parametrize(
    ("code", "reason_fragment"),
    [
        ("91110000600037341M", "校验位"),
        ("9111000060003734", "18位"),
        ("91110000600O37341L", "无效字符"),
        ("B1110000600037341L", "登记管理部门"),
        ("97110000600037341L", "机构类别"),
    ],
)
def test_invalid_credit_codes_say_why(code: str, reason_fragment: str) -> None:
    check = validate_uscc(code)
    assert not check.valid
    assert check.reason is not None
    assert reason_fragment in check.reason


def test_credit_code_with_bad_embedded_organisation_code_is_rejected() -> None:
    org = make_org_code("MA4L0000")
    wrong_org = org[:8] + ("0" if org[8] != "0" else "1")
    code = make_uscc("91430600" + wrong_org)  # outer check character is right
    check = validate_uscc(code)
    assert not check.valid
    assert check.reason is not None
    assert "组织机构代码" in check.reason
    assert validate_uscc(make_uscc("91430600" + org)).valid


def test_organisation_code_check_known_value() -> None:
    # 住房和城乡建设部's organisation code 00001333-8 (inside 11100000000013338W).
    assert organisation_code_check_char("00001333") == "8"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13807300001", "13807300001"),
        ("+86 138-0730-0001", "13807300001"),
        ("008619912345678", "19912345678"),
    ],
)
def test_mobile_numbers(raw: str, normalized: str) -> None:
    check = validate_phone(raw)
    assert check.valid
    assert check.normalized == normalized


@pytest.mark.parametrize("raw", ["12807300001", "1380730000", "0730-12345", "abc"])
def test_bad_mobile_numbers(raw: str) -> None:
    check = validate_phone(raw)
    assert not check.valid
    assert check.reason == "请填写11位中国大陆手机号码"


def test_masking_keeps_only_ends() -> None:
    assert mask_identifier("360426199101010071") == "3604**********0071"
    assert mask_phone("13807300001") == "138****0001"


@pytest.mark.parametrize(
    ("kind", "value", "valid"),
    [
        ("resident_id", "360426199101010071", True),
        ("resident_id", "360426199101010072", False),
        ("uscc", "91110000600037341L", True),
        ("phone", "12345", False),
    ],
)
def test_validate_endpoint_answers_200_for_valid_and_invalid(client, kind, value, valid) -> None:
    response = client.post(
        "/api/v1/identifiers/validate",
        data=json.dumps({"kind": kind, "value": value}),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is valid
    assert (body["reason"] is None) is valid


def test_validate_endpoint_rejects_unknown_kind_with_422(client) -> None:
    response = client.post(
        "/api/v1/identifiers/validate",
        data=json.dumps({"kind": "passport", "value": "E123"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_invalid_reason_is_unescaped_chinese_in_the_body(client) -> None:
    response = client.post(
        "/api/v1/identifiers/validate",
        data=json.dumps({"kind": "phone", "value": "1"}),
        content_type="application/json",
    )
    assert "请填写11位中国大陆手机号码".encode() in response.content
    assert b"\\u" not in response.content
