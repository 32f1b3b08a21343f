"""The public calendar API: due dates and working-day counts, and its errors."""

from __future__ import annotations

import pytest

DUE = "/api/v1/calendar/due-date"
WORKDAYS = "/api/v1/calendar/workdays"


def _due(client, start, days, unit=None):
    params = {"start": start, "days": days} | ({"unit": unit} if unit else {})
    response = client.get(DUE, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_national_day_2026(client, calendar):
    # 2026 National Day: 10/1 (Thu)–10/7 off; 9/20 (Sun) and 10/10 (Sat) worked.
    # Start Wed 9/30, not counted: 10/1–10/7 skipped, Thu 10/8 is working day 1.
    assert _due(client, "2026-09-30", 1) == {
        "start": "2026-09-30",
        "days": 1,
        "unit": "workday",
        "due": "2026-10-08",
        "provisional": False,
    }
    # 10/8 Thu = 1, 10/9 Fri = 2, 10/10 Sat (make-up) = 3.
    assert _due(client, "2026-09-30", 3)["due"] == "2026-10-10"
    # 10/11 is a Sunday off, so working day 4 is Mon 10/12.
    assert _due(client, "2026-09-30", 4)["due"] == "2026-10-12"
    # Start Fri 9/18: Sat 9/19 off, Sun 9/20 (make-up) = 1, Mon 9/21 = 2.
    assert _due(client, "2026-09-18", 2)["due"] == "2026-09-21"
    # Start Tue 9/22: 9/23 = 1, 9/24 = 2; 9/25–9/27 Mid-Autumn off; 9/28 = 3, 9/29 = 4,
    # 9/30 = 5; 10/1–10/7 off; 10/8 = 6.
    assert _due(client, "2026-09-22", 6)["due"] == "2026-10-08"


def test_spring_festival_2026(client, calendar):
    # 2026 Spring Festival: 2/15 (Sun)–2/23 (Mon) off; 2/14 (Sat) and 2/28 (Sat) worked.
    # Start Fri 2/13: Sat 2/14 is a make-up day, so it is working day 1.
    assert _due(client, "2026-02-13", 1)["due"] == "2026-02-14"
    # Start Sat 2/14: 2/15–2/23 off, Tue 2/24 = 1.
    assert _due(client, "2026-02-14", 1)["due"] == "2026-02-24"
    # 2/24 = 2, 2/25 = 3, 2/26 = 4, 2/27 = 5, Sat 2/28 (make-up) = 6 counted from Fri 2/13.
    assert _due(client, "2026-02-13", 6)["due"] == "2026-02-28"
    # Seven working days: Sun 3/1 off, Mon 3/2 = 7.
    assert _due(client, "2026-02-13", 7)["due"] == "2026-03-02"


def test_natural_days_roll_forward(client, calendar):
    # 民法典 §203: 9/24 + 7 natural days = 10/1, a holiday, so the period ends on 10/8.
    result = _due(client, "2026-09-24", 7, "natural")
    assert result == {
        "start": "2026-09-24",
        "days": 7,
        "unit": "natural",
        "due": "2026-10-08",
        "provisional": False,
    }
    # 2/4 + 10 = Sat 2/14, a make-up working day: no roll-forward.
    assert _due(client, "2026-02-04", 10, "natural")["due"] == "2026-02-14"
    # 3/4 + 10 = Sat 3/14, an ordinary weekend: rolls to Mon 3/16.
    assert _due(client, "2026-03-04", 10, "natural")["due"] == "2026-03-16"


def test_provisional_flags(client, calendar):
    # No 2027 data: Mon 2027-03-01 + 5 is Mon 3/8 by weekdays only, flagged.
    result = _due(client, "2027-03-01", 5)
    assert (result["due"], result["provisional"]) == ("2027-03-08", True)
    # Crossing 2026 → 2027: Wed 12/30 → 12/31 = 1, Fri 2027-01-01 = 2 (unknown), flagged.
    crossing = _due(client, "2026-12-30", 2)
    assert (crossing["due"], crossing["provisional"]) == ("2027-01-01", True)
    # Inside 2026 only: not provisional.
    assert _due(client, "2026-12-01", 20)["provisional"] is False
    assert _due(client, "2026-12-20", 20, "natural")["provisional"] is True


def test_workdays_endpoint(client, calendar):
    # (2026-09-30, 2026-10-31]: 10/8, 10/9, 10/10 (make-up) and three full weeks = 18.
    response = client.get(WORKDAYS, {"start": "2026-09-30", "end": "2026-10-31"})
    assert response.status_code == 200
    assert response.json() == {"workdays": 18, "provisional": False}
    crossing = client.get(WORKDAYS, {"start": "2026-12-25", "end": "2027-01-08"}).json()
    # 12/28–12/31 (4) + 2027-01-01, 01-04…01-08 by weekdays (6) = 10, flagged.
    assert crossing == {"workdays": 10, "provisional": True}
    same = client.get(WORKDAYS, {"start": "2026-10-08", "end": "2026-10-08"}).json()
    assert same == {"workdays": 0, "provisional": False}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        (DUE, {"start": "2026-13-01", "days": 1}, 422),
        (DUE, {"start": "2026-02-30", "days": 1}, 422),
        (DUE, {"start": "yesterday", "days": 1}, 422),
        (DUE, {"start": "", "days": 1}, 422),
        (DUE, {"days": 1}, 422),
        (DUE, {"start": "2026-09-30"}, 422),
        (DUE, {"start": "2026-09-30", "days": -1}, 422),
        (DUE, {"start": "2026-09-30", "days": 3651}, 422),
        (DUE, {"start": "2026-09-30", "days": "ten"}, 422),
        (DUE, {"start": "2026-09-30", "days": 10**30}, 422),
        (DUE, {"start": "2026-09-30", "days": 1, "unit": "hour"}, 422),
        (DUE, {"start": "9999-12-31", "days": 1}, 400),
        (DUE, {"start": "9999-12-31", "days": 1, "unit": "natural"}, 400),
        (WORKDAYS, {"start": "2026-10-09", "end": "2026-10-08"}, 400),
        (WORKDAYS, {"start": "2026-10-09"}, 422),
        (WORKDAYS, {"start": "2026-10-09", "end": "10/08/2026"}, 422),
    ],
)
def test_bad_input_is_a_json_4xx(client, calendar, path, params, status):
    response = client.get(path, params)
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == ("validation_error" if status == 422 else "calendar_input_invalid")


def test_error_detail_is_chinese_and_unescaped(client, calendar):
    response = client.get(WORKDAYS, {"start": "2026-10-09", "end": "2026-10-08"})
    assert "早于起算日期".encode() in response.content
    assert response.json()["detail"] == "结束日期 2026-10-08 早于起算日期 2026-10-09"


def test_no_login_needed(client, calendar):
    # The calendar is public information: anonymous callers get answers, not 401.
    assert client.get(DUE, {"start": "2026-09-30", "days": 1}).status_code == 200
    assert client.get(WORKDAYS, {"start": "2026-09-30", "end": "2026-10-08"}).status_code == 200


def test_openapi_documents_the_endpoints(client, calendar):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/calendar/due-date" in schema["paths"]
    assert "/api/v1/calendar/workdays" in schema["paths"]
