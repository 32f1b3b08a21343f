"""Applications and cases through /api/v1: uploads (sniffed, limited, checksummed),
idempotent submission, reads with due dates and warnings, keyset-paginated queues, actions
with their 4xx answers, and personal data (masked in lists, encrypted at rest, staff reads
audited)."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings

from tongban.cases.actions import lifecycle
from tongban.cases.enums import CaseState, WarningLevel
from tongban.cases.models import (
    Application,
    ApplicationMaterial,
    Case,
    NumberSequence,
    SupplementRequest,
    Upload,
)
from tongban.cases.queries import case_warning
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.models import AuditEvent, User

from .case_helpers import (
    PDF_BYTES,
    accept,
    advance_to_last_step,
    approve_through,
    import_case_catalog,
    shanghai,
    submit,
)

D = datetime.date.fromisoformat


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, payload: Any = None, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(payload if payload is not None else {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def upload(self, name: str, content: bytes) -> Any:
        return self.client.post(
            "/api/v1/uploads", {"file": SimpleUploadedFile(name, content)}, headers=self.headers
        )


@pytest.fixture
def case_catalog(demo: None) -> None:
    import_case_catalog("TREVIEW01")


@pytest.fixture
def as_user(client: Client, api_token: Callable[[str], str]) -> Callable[[str], Api]:
    tokens: dict[str, str] = {}

    def make(username: str) -> Api:
        if username not in tokens:
            tokens[username] = api_token(username)
        return Api(client, tokens[username])

    return make


@pytest.fixture
def monday() -> Iterator[None]:
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        yield


def _counts() -> dict[str, int]:
    return {
        "applications": Application.objects.count(),
        "cases": Case.objects.count(),
        "materials": ApplicationMaterial.objects.count(),
        "events": AuditEvent.objects.count(),
        "supplements": SupplementRequest.objects.count(),
        "sequences": sum(NumberSequence.objects.values_list("last", flat=True)),
    }


def _written(counts: dict[str, int]) -> dict[str, int]:
    """The counts of what an application writes, without the numbers it took."""
    return {name: count for name, count in counts.items() if name != "sequences"}


def _review_body(api: Api, **changes: Any) -> dict[str, Any]:
    plan = api.upload("方案.pdf", PDF_BYTES).json()["id"]
    report = api.upload("报告.pdf", PDF_BYTES + b"%report").json()["id"]
    body: dict[str, Any] = {
        "item": "TREVIEW01",
        "channel": "web",
        "form": {"tc.name": "测试项目"},
        "materials": {
            "tc_plan": {"provision": "upload", "upload": plan},
            "tc_report": {"provision": "upload", "upload": report},
        },
    }
    body.update(changes)
    return body


# --- uploads --------------------------------------------------------------------------------


def test_an_upload_is_sniffed_and_its_checksum_stored(case_catalog, as_user) -> None:
    api = as_user("citizen")
    response = api.upload("出生证明扫描件.pdf", PDF_BYTES)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF_BYTES)
    assert body["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    upload = Upload.objects.get(public_id=body["id"])
    assert upload.sha256 == body["sha256"]
    assert upload.owner.username == "citizen"
    with upload.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == body["sha256"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("材料.pdf", "这是一个改了扩展名的文本文件。\n".encode() * 20),
        ("disguised.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
    ],
)
def test_an_upload_that_is_not_a_document_is_refused(
    case_catalog, as_user, name: str, content: bytes
) -> None:
    response = as_user("citizen").upload(name, content)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_file_type"
    assert "不支持该文件类型" in response.json()["detail"]
    assert not Upload.objects.exists()


@override_settings(TONGBAN_MAX_UPLOAD_BYTES=1024)
def test_an_oversize_upload_is_413(case_catalog, as_user) -> None:
    api = as_user("citizen")
    response = api.upload("大文件.pdf", PDF_BYTES + b"0" * 2048)
    assert response.status_code == 413
    assert response.json()["error"] == "file_too_large"
    assert "超过" in response.json()["detail"]
    assert api.upload("空.pdf", b"").status_code == 400
    assert not Upload.objects.exists()
    assert api.upload("小文件.pdf", PDF_BYTES).status_code == 200


# --- submission ---------------------------------------------------------------------------


def test_submit_then_read_the_application_back(case_catalog, as_user, monday) -> None:
    api = as_user("citizen")
    response = api.post("/applications", _review_body(api), **{"Idempotency-Key": "k-1"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["number"] == "SQ20260601000001"
    assert created["plan"] == "TREVIEW01"
    assert created["is_bundle"] is False
    [case] = created["cases"]
    assert case["case_no"] == "TREVIEW01202606010001"
    assert case["state"] == CaseState.RECEIVED
    assert case["department"] == "yy-shichang"
    assert case["promised_due"] is None
    assert case["warning"] == WarningLevel.NORMAL
    materials = ApplicationMaterial.objects.filter(application__number=created["number"])
    assert {m.key: m.provision for m in materials} == {
        "tc_plan": "upload",
        "tc_report": "upload",
        "tc_photo": "not_provided",
    }
    accept(case["case_no"])
    again = api.get(f"/applications/{created['number']}")
    assert again.status_code == 200
    [case] = again.json()["cases"]
    assert case["state"] == CaseState.IN_REVIEW
    assert case["accepted_on"] == "2026-06-01"
    assert (case["statutory_due"], case["promised_due"]) == ("2026-06-30", "2026-06-15")
    assert case["due_provisional"] is False
    assert case["warning"] == WarningLevel.NORMAL
    assert again.json()["bundle_due"] == "2026-06-15"
    # Another citizen's application is not there for them.
    assert as_user("company").get(f"/applications/{created['number']}").status_code == 404


def test_a_retry_with_the_same_idempotency_key_returns_the_same_application(
    case_catalog, as_user, monday
) -> None:
    api = as_user("citizen")
    body = _review_body(api)
    first = api.post("/applications", body, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 201
    counts = _counts()
    second = api.post("/applications", body, **{"Idempotency-Key": "retry-1"})
    assert second.status_code == 201
    assert second.json()["number"] == first.json()["number"]
    assert second.json()["cases"] == first.json()["cases"]
    # The retry is found at the insert, after it took numbers of its own (taken before the
    # transaction, so the day's counters are not locked for the whole of it): those numbers
    # are a gap in the sequence, and nothing else is written.
    assert _written(counts) == _written(_counts())
    assert _counts()["sequences"] == counts["sequences"] + 2
    # The same key for a different request is a conflict, and writes nothing.
    other = api.post(
        "/applications",
        {**body, "form": {"tc.name": "另一个项目"}},
        **{"Idempotency-Key": "retry-1"},
    )
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert _written(_counts()) == _written(counts)
    # Without a key, or with a new one, it is a new application.
    assert api.post("/applications", body).json()["number"] != first.json()["number"]
    too_long = api.post("/applications", body, **{"Idempotency-Key": "x" * 101})
    assert too_long.status_code == 400


def test_a_bad_submission_is_400_in_chinese_and_writes_nothing(
    case_catalog, as_user, monday
) -> None:
    api = as_user("citizen")
    body = _review_body(api)
    counts = _counts()
    missing = api.post("/applications", {**body, "materials": {}}, **{"Idempotency-Key": "bad-1"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_materials"
    assert any("必须提供" in p["message"] for p in missing.json()["detail"])
    bad_form = api.post("/applications", {**body, "form": {}})
    assert bad_form.status_code == 400
    assert bad_form.json()["error"] == "invalid_form"
    assert "请填写" in bad_form.json()["detail"][0]["message"]
    unknown = api.post("/applications", {**body, "item": "NOPE"})
    assert unknown.status_code in (400, 404)
    assert _counts() == counts
    # No number was used up either: the first good application is still number 1.
    good = api.post("/applications", body, **{"Idempotency-Key": "bad-1"})
    assert good.status_code == 201
    assert good.json()["number"] == "SQ20260601000001"
    assert good.json()["cases"][0]["case_no"] == "TREVIEW01202606010001"


def test_a_bundle_application_shows_each_case_with_its_department(
    case_catalog, as_user, persona, monday
) -> None:
    import_case_catalog("chain-test")
    application = submit(persona("citizen"), bundle="chain-test")
    response = as_user("citizen").get(f"/applications/{application.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["is_bundle"] is True
    assert {c["item_code"]: (c["state"], c["department"]) for c in body["cases"]} == {
        "TCHAINUP01": ("received", "yy-fuyou"),
        "TCHAINMID01": ("waiting", "yy-gongan"),
        "TCHAINDOWN01": ("waiting", "yy-yibao"),
        "TCHAINSIDE01": ("received", "yy-renshe"),
    }
    assert body["bundle_due"] == "2026-06-15"
    assert body["bundle_status"] == "待受理"
    # A department approver involved in the application may read it; others may not.
    assert (
        as_user("approver-yy-gongan").get(f"/applications/{application.number}").status_code == 200
    )
    assert (
        as_user("approver-yy-jiaoyu").get(f"/applications/{application.number}").status_code == 404
    )


# --- queues ---------------------------------------------------------------------------------


def _queue(persona) -> list[Case]:
    """Eight 测试审查事项 cases: five accepted on different days (two on the same day, so
    due dates tie), three still at the window (no due date)."""
    citizen = persona("citizen")
    cases = []
    for day in (1, 2, 2, 3, 8, 9, 9, 10):
        with time_machine.travel(shanghai(2026, 6, day), tick=True):
            case = submit(citizen, item="TREVIEW01").cases.get()
            if day < 9:
                accept(case.case_no)
            cases.append(case)
    return cases


def test_the_case_list_pages_through_every_case_once(case_catalog, as_user, persona) -> None:
    cases = _queue(persona)
    api = as_user("approver-yy-shichang")
    seen: list[str] = []
    after = None
    pages = 0
    with time_machine.travel(shanghai(2026, 6, 10), tick=True):
        while True:
            params: dict[str, Any] = {"department": "yy-shichang", "limit": 3}
            if after:
                params["after"] = after
            response = api.get("/cases", **params)
            assert response.status_code == 200, response.content
            body = response.json()
            seen += [c["case_no"] for c in body["results"]]
            pages += 1
            after = body["next_cursor"]
            if after is None:
                break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8
    expected = sorted(
        Case.objects.filter(pk__in=[c.pk for c in cases]),
        key=lambda c: (c.promised_due or datetime.date.max, c.pk),
    )
    assert seen == [c.case_no for c in expected]
    # Filters: state and due date.
    received = api.get("/cases", department="yy-shichang", state="received").json()["results"]
    assert {c["state"] for c in received} == {"received"}
    assert len(received) == 3
    due = api.get("/cases", due_before="2026-06-16").json()["results"]
    assert [c["promised_due"] for c in due] == ["2026-06-15"]
    assert api.get("/cases", state="flying").status_code == 400
    assert api.get("/cases", after="garbage").status_code == 400
    assert api.get("/cases", department="no-such-dept").status_code == 404
    # Another department's approver sees none of them.
    assert as_user("approver-yy-jiaoyu").get("/cases").json()["results"] == []


def test_the_warning_filter_agrees_with_each_case_s_warning(case_catalog, as_user, persona) -> None:
    cases = _queue(persona)
    # One of them paused by a special procedure, one decided: neither warns.
    with time_machine.travel(shanghai(2026, 6, 10), tick=True):
        lifecycle.case_start_special(
            cases[3].case_no,
            actor=persona("approver-yy-shichang"),
            role="approver",
            kind="expert_review",
            reason="专家评审",
        )
        approve_through(cases[4].case_no, accept_first=False)
    api = as_user("approver-yy-shichang")
    for day in ("2026-06-12", "2026-06-15", "2026-06-17", "2026-06-25"):
        today = D(day)
        with time_machine.travel(shanghai(today.year, today.month, today.day), tick=True):
            every = {
                c["case_no"]: c["warning"] for c in api.get("/cases", limit=200).json()["results"]
            }
            assert set(every) >= {c.case_no for c in cases}
            for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
                assert every[case.case_no] == case_warning(case), (day, case.case_no)
            for level in WarningLevel.values:
                listed = {
                    c["case_no"]
                    for c in api.get("/cases", warning=level, limit=200).json()["results"]
                }
                assert listed == {no for no, w in every.items() if w == level}, (day, level)
    # On 6/17 the cases due 6/15 and 6/16 are red; the one due 6/17 is paused.
    with time_machine.travel(shanghai(2026, 6, 17), tick=True):
        red = api.get("/cases", warning="red").json()["results"]
        assert {c["promised_due"] for c in red} == {"2026-06-15", "2026-06-16"}
    assert api.get("/cases", warning="purple").status_code == 400


def test_a_supervisor_lists_the_cases_of_the_region(case_catalog, as_user, persona, monday) -> None:
    case = submit(persona("citizen"), item="TREVIEW01").cases.get()
    accept(case.case_no)
    response = as_user("supervisor").get("/cases", warning="normal")
    assert response.status_code == 200, response.content
    assert [c["case_no"] for c in response.json()["results"]] == [case.case_no]


# --- one case ---------------------------------------------------------------------------------


def test_case_detail_has_the_history(case_catalog, as_user, persona, monday) -> None:
    case = submit(persona("citizen"), item="TREVIEW01").cases.get()
    accept(case.case_no)
    advance_to_last_step(case.case_no)
    response = as_user("approver-yy-shichang").get(f"/cases/{case.case_no}")
    assert response.status_code == 200
    body = response.json()
    steps = [(h["action"], h["from_state"], h["to_state"]) for h in body["history"]]
    assert steps == [
        ("application.submit", None, None),
        ("case.accept", "received", "in_review"),
        ("case.advance", "in_review", "in_review"),
        ("case.advance", "in_review", "in_review"),
    ]
    assert body["history"][1]["label"] == "受理"
    assert body["history"][1]["actor"] == "clerk"
    assert {m["key"] for m in body["materials"]} == {"tc_plan", "tc_report", "tc_photo"}
    assert [n["title"] for n in body["notices"]] == ["受理通知书"]


# --- actions ---------------------------------------------------------------------------------


def test_actions_refused_by_state_or_person_answer_409_403_404_and_change_nothing(
    case_catalog, as_user, persona, monday
) -> None:
    case = submit(persona("citizen"), item="TREVIEW01").cases.get()
    path = f"/cases/{case.case_no}/actions"
    # Tokens first: issuing one is itself an audited event.
    citizen, clerk, intruder = as_user("citizen"), as_user("clerk"), as_user("approver-yy-jiaoyu")
    approver = as_user("approver-yy-shichang")
    counts = _counts()
    # A citizen cannot accept; another department's approver cannot even see the case.
    refused = citizen.post(f"{path}/accept")
    assert refused.status_code == 403
    assert refused.json() == {"error": "forbidden", "detail": "您无权对该办件执行“受理”"}
    assert intruder.post(f"{path}/accept").status_code == 404
    unknown = clerk.post(f"{path}/teleport")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_action"
    assert clerk.post("/cases/NOPE0001/actions/accept").status_code == 404
    # The system's own transitions are not actions anybody can ask for.
    assert clerk.post(f"{path}/release").status_code == 404
    # The clerk accepts but does not decide.
    assert clerk.post(f"{path}/approve").status_code == 403
    assert _counts() == counts

    accepted = clerk.post(f"{path}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == CaseState.IN_REVIEW
    assert accepted.json()["promised_due"] == "2026-06-15"

    counts = _counts()
    updated_at = Case.objects.get(pk=case.pk).updated_at
    again = clerk.post(f"{path}/accept")
    assert again.status_code == 409
    assert again.json()["error"] == "illegal_transition"
    assert again.json()["detail"]["state"] == CaseState.IN_REVIEW
    assert "审查中" in again.json()["detail"]["message"]
    early = approver.post(f"{path}/approve")
    assert early.status_code == 409
    assert "批准" in early.json()["detail"]["message"]
    assert _counts() == counts
    assert Case.objects.get(pk=case.pk).updated_at == updated_at


def test_action_bodies_are_read_and_bad_input_is_400_in_chinese(
    case_catalog, as_user, persona, monday
) -> None:
    case = submit(persona("citizen"), item="TREVIEW01").cases.get()
    path = f"/cases/{case.case_no}/actions"
    citizen, clerk = as_user("citizen"), as_user("clerk")
    approver = as_user("approver-yy-shichang")
    counts = _counts()
    no_reason = clerk.post(f"{path}/request_supplement", {"materials": [{"key": "tc_plan"}]})
    assert no_reason.status_code == 400
    assert no_reason.json()["error"] == "invalid_supplement"
    assert "请填写需补正的原因" in no_reason.json()["detail"][0]
    assert clerk.post(f"{path}/request_supplement", {"materials": []}).status_code == 400
    assert _counts() == counts
    asked = clerk.post(
        f"{path}/request_supplement",
        {"materials": [{"key": "tc_plan", "reason": "缺少盖章"}], "note": "请补正"},
    )
    assert asked.status_code == 200, asked.content
    assert asked.json()["state"] == CaseState.SUPPLEMENT
    assert SupplementRequest.objects.get().materials[0]["reason"] == "缺少盖章"

    upload = citizen.upload("方案（盖章）.pdf", PDF_BYTES + b"%stamped").json()["id"]
    resubmitted = citizen.post(
        f"{path}/resubmit", {"materials": {"tc_plan": {"provision": "upload", "upload": upload}}}
    )
    assert resubmitted.status_code == 200, resubmitted.content
    assert clerk.post(f"{path}/accept").status_code == 200

    for _ in range(2):
        assert approver.post(f"{path}/advance", {"opinion": "同意"}).status_code == 200
    counts = _counts()
    updated_at = Case.objects.get(pk=case.pk).updated_at
    no_basis = approver.post(f"{path}/deny", {"reason": "不符合条件"})
    assert no_basis.status_code == 400
    assert no_basis.json() == {"error": "reason_required", "detail": "请填写不予许可的法律依据"}
    not_text = approver.post(f"{path}/deny", {"reason": ["x"], "legal_basis": "y"})
    assert not_text.status_code == 400
    bad_date = approver.post(f"{path}/approve_deficient", {"supply_by": "下周"})
    assert bad_date.status_code == 400
    assert "日期" in bad_date.json()["detail"]
    assert _counts() == counts
    assert Case.objects.get(pk=case.pk).updated_at == updated_at

    denied = approver.post(
        f"{path}/deny", {"reason": "不符合条件", "legal_basis": "《测试条例》第一条"}
    )
    assert denied.status_code == 200
    assert denied.json()["state"] == CaseState.DENIED
    assert Case.objects.get(pk=case.pk).legal_basis == "《测试条例》第一条"


# --- personal data ----------------------------------------------------------------------------


def test_id_numbers_are_masked_in_lists_and_encrypted_at_rest(
    case_catalog, as_user, persona, monday
) -> None:
    citizen = persona("citizen")
    id_number = citizen.id_number
    assert len(id_number) == 18
    masked = f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"
    application = submit(citizen, item="TREVIEW01")
    listed = as_user("approver-yy-shichang").get("/cases").json()["results"]
    assert [c["applicant_id"] for c in listed] == [masked]
    assert (
        as_user("citizen").get(f"/applications/{application.number}").json()["applicant_id"]
        == masked
    )

    assert Application._meta.db_table == "cases_application"
    assert User._meta.db_table == "core_user"
    with connection.cursor() as cursor:
        cursor.execute("SELECT applicant_id, applicant_id_digest, form FROM cases_application")
        rows = cursor.fetchall()
        cursor.execute("SELECT id_number FROM core_user WHERE username = %s", ["citizen"])
        [(stored_user_id,)] = cursor.fetchall()
    [(stored_id, digest, stored_form)] = rows
    for raw in (stored_id, stored_form, stored_user_id):
        assert id_number not in raw
        assert id_number[6:14] not in raw  # not even the birth date
        assert raw.startswith("gAAAA")  # a Fernet token
    # Found again through the keyed digest, never through the plain number.
    assert digest == lookup_digest(id_number)
    assert Application.objects.get(applicant_id_digest=lookup_digest(id_number)) == application
    assert User.objects.get(id_number_digest=lookup_digest(id_number.lower())) == citizen
    assert application.applicant_id == id_number  # the model decrypts


def test_a_staff_read_of_personal_data_is_audited_the_applicant_s_own_is_not(
    case_catalog, as_user, persona, monday
) -> None:
    case = submit(persona("citizen"), item="TREVIEW01").cases.get()
    views = AuditEvent.objects.filter(action="case.view_personal_data", object_id=case.case_no)
    own = as_user("citizen").get(f"/cases/{case.case_no}")
    assert own.status_code == 200
    assert own.json()["applicant"]["id_number"] == persona("citizen").id_number
    assert views.count() == 0
    staff = as_user("approver-yy-shichang").get(f"/cases/{case.case_no}")
    assert staff.status_code == 200
    assert views.count() == 1
    event = views.get()
    assert event.actor is not None
    assert (event.actor.username, event.role) == ("approver-yy-shichang", "approver")
    as_user("supervisor").get(f"/cases/{case.case_no}")
    assert list(views.order_by("seq").values_list("role", flat=True)) == ["approver", "supervisor"]
    # The reads are audited but are not part of the case's own story.
    history = as_user("citizen").get(f"/cases/{case.case_no}").json()["history"]
    assert all(h["action"] != "case.view_personal_data" for h in history)
    # Someone without any business with the case reads nothing and leaves no trace.
    assert as_user("approver-yy-jiaoyu").get(f"/cases/{case.case_no}").status_code == 404
    assert views.count() == 2
