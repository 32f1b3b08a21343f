"""Personal data masked in logs (tongban/core/log_masking.py): resident ID numbers and mobile
numbers never reach a log handler whole; unified social credit codes (companies, not people)
and messages without personal data pass unchanged. Checked with real records through the
filter that settings.LOGGING installs on the root handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from tongban.core.log_masking import PersonalDataFilter, mask_personal_data

ID = "430602199001011234"
ID_X = "43060219900101123X"
MOBILE = "13812345678"
USCC = "91430600MA4L8KXY7B"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A handler like settings.LOGGING's console handler, writing to a string."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("tongban.test_masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)


def _log() -> logging.Logger:
    return logging.getLogger("tongban.test_masking")


def test_the_root_handler_carries_the_filter() -> None:
    handlers = logging.getLogger().handlers
    assert any(
        isinstance(f, PersonalDataFilter) for handler in handlers for f in handler.filters
    ), "settings.LOGGING must install PersonalDataFilter on the root handler"


def test_id_and_mobile_in_the_message_are_masked(stream: io.StringIO) -> None:
    _log().info(f"applicant {ID} phone {MOBILE}")
    assert (
        stream.getvalue()
        == "INFO tongban.test_masking applicant 430602********1234 phone 138****5678\n"
    )


def test_numbers_in_the_arguments_are_masked(stream: io.StringIO) -> None:
    _log().warning("lookup %s failed for %r", ID_X, {"phone": MOBILE})
    text = stream.getvalue()
    assert "430602********123X" in text
    assert "'phone': '138****5678'" in text
    assert ID_X not in text
    assert MOBILE not in text


def test_a_number_in_a_traceback_is_masked(stream: io.StringIO) -> None:
    try:
        raise ValueError(f"bad id {ID}")
    except ValueError:
        _log().exception("check failed")
    text = stream.getvalue()
    assert "ValueError: bad id 430602********1234" in text
    assert ID not in text


def test_a_message_without_personal_data_is_unchanged(
    stream: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    message = f"case 2026-0001 accepted for {USCC}, order 20260101123456789012, 42 items"
    with caplog.at_level(logging.INFO, logger="tongban.test_masking"):
        _log().info("%s", message)
    assert stream.getvalue() == f"INFO tongban.test_masking {message}\n"
    # The record itself is left alone (format string and arguments).
    record = caplog.records[-1]
    assert record.msg == "%s"
    assert record.args == (message,)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (ID, "430602********1234"),
        (ID_X.lower(), "430602********123x"),
        (f"身份证号：{ID}。", "身份证号：430602********1234。"),
        (MOBILE, "138****5678"),
        ("+8613912345678", "+86139****5678"),
        (f"手机{MOBILE}，", "手机138****5678，"),
        (USCC, USCC),  # a company's code is public
        ("12345678901", "12345678901"),  # not a mobile (second digit 2)
        ("138123456789", "138123456789"),  # 12 digits: not a mobile number
        ("4306021990010112345", "4306021990010112345"),  # 19 digits: not an ID number
    ],
)
def test_mask_personal_data(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked
