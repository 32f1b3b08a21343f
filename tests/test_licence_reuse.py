"""免提交 (无证明城市): a held electronic licence replaces a material only when the applicant
holds a valid one and consented; every use is recorded per case, with its audit event."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases.actions.lifecycle import IllegalTransition
from tongban.cases.enums import CaseState, Provision
from tongban.cases.inputs import ApplicantInfo, MaterialChoice
from tongban.cases.materials import InvalidMaterials
from tongban.cases.models import Application, ApplicationMaterial
from tongban.core.models import AuditEvent, User
from tongban.licences.actions import licence_revoke
from tongban.licences.models import Licence, LicenceType, LicenceUse

from .case_helpers import (
    PDF_BYTES,
    accept,
    approve_through,
    approver_of,
    cases_by_item,
    checklist_for,
    import_case_catalog,
    sample_form,
    sample_materials,
    shanghai,
    submit,
)

Persona = Callable[[str], User]
MID, USE, UP = "TCHAINMID01", "TLICUSE01", "TCHAINUP01"
KEY = "tc_licence_a"


@pytest.fixture
def licence_type(demo: None) -> LicenceType:
    import_case_catalog(UP, "chain-test", "licence-reuse-test")
    return LicenceType.objects.create(
        key=KEY,
        code="11100000000013338W011",
        name="测试证明甲",
        holder_kind="person",
        validity_years=2,
        fields=[{"key": "f1", "label": "申请人", "source": "applicant.name"}],
    )


@pytest.fixture
def held(licence_type: LicenceType, persona: Persona) -> Licence:
    """The demo citizen holds a licence of the type (issued 2026-06-01, valid two years)."""
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        case = submit(persona("citizen"), item=UP).cases.get()
        approve_through(case.case_no)
    return Licence.objects.get(case=case)


@pytest.fixture
def june_tenth() -> Iterator[None]:
    with time_machine.travel(shanghai(2026, 6, 10), tick=False):
        yield


def _without_upload(
    owner: User, *, bundle: str | None = None, item: str | None = None
) -> dict[str, MaterialChoice]:
    """Everything a careful applicant hands in, except a file for the e-licence material."""
    return sample_materials(checklist_for({}, bundle, item), owner, skip=(KEY,))


def _row(application: Application) -> ApplicationMaterial:
    return application.materials.get(key=KEY, replaced_at__isnull=True)


def test_a_held_licence_with_consent_replaces_the_material_in_every_case(
    held: Licence, persona: Persona, june_tenth: None
) -> None:
    citizen = persona("citizen")
    application = submit(
        citizen,
        bundle="licence-reuse-test",
        materials=_without_upload(citizen, bundle="licence-reuse-test"),
        licence_consent=True,
    )
    assert application.licence_consent
    row = _row(application)
    assert row.provision == Provision.LICENCE
    assert row.source_ref == held.identifier
    assert row.upload is None
    cases = cases_by_item(application)
    uses = LicenceUse.objects.filter(licence=held, application=application)
    assert sorted((u.case.item_code, u.department_id) for u in uses if u.case) == sorted(
        (code, cases[code].department_id) for code in (MID, USE)
    )
    assert {u.material_key for u in uses} == {KEY}
    events = AuditEvent.objects.filter(action="licence.use", object_id=held.identifier)
    assert events.count() == 2
    assert {(e.after or {})["case"] for e in events} == {cases[MID].case_no, cases[USE].case_no}
    # Nothing uploaded for it, and still nothing missing: the window accepts.
    for case in cases.values():
        assert accept(case.case_no).state == CaseState.IN_REVIEW


def test_without_consent_the_material_is_uploaded(
    held: Licence, persona: Persona, june_tenth: None
) -> None:
    citizen = persona("citizen")
    with pytest.raises(InvalidMaterials) as caught:
        submit(citizen, item=MID, materials=_without_upload(citizen, item=MID))
    assert [p["material"] for p in caught.value.problems] == [KEY]
    assert "上传" in caught.value.problems[0]["message"]

    application = submit(citizen, item=MID)  # the careful applicant uploads it
    assert _row(application).provision == Provision.UPLOAD
    assert not LicenceUse.objects.exists()
    assert not AuditEvent.objects.filter(action="licence.use").exists()


def test_at_the_window_without_consent_a_missing_upload_blocks_acceptance(
    held: Licence, persona: Persona, june_tenth: None
) -> None:
    clerk, citizen = persona("clerk"), persona("citizen")
    application = submit(
        clerk,
        item=MID,
        role="clerk",
        channel="window",
        applicant=ApplicantInfo(name=citizen.full_name, id_number=citizen.id_number),
        materials=_without_upload(clerk, item=MID),
    )
    assert _row(application).provision == Provision.NOT_PROVIDED
    with pytest.raises(IllegalTransition) as caught:
        accept(application.cases.get().case_no)
    assert "测试证明甲" in caught.value.detail["message"]

    # The same walk-in consenting at the window: the licence is used, the case accepted.
    application = submit(
        clerk,
        item=MID,
        role="clerk",
        channel="window",
        applicant=ApplicantInfo(name=citizen.full_name, id_number=citizen.id_number),
        materials=_without_upload(clerk, item=MID),
        licence_consent=True,
    )
    assert _row(application).source_ref == held.identifier
    assert accept(application.cases.get().case_no).state == CaseState.IN_REVIEW
    use = LicenceUse.objects.get(application=application)
    event = AuditEvent.objects.get(action="licence.use", after__application=application.number)
    assert event.role == "clerk"
    assert event.actor == clerk
    assert use.department == application.cases.get().department


def test_consent_without_a_licence_held_still_needs_the_upload(
    licence_type: LicenceType, persona: Persona, june_tenth: None
) -> None:
    citizen = persona("citizen")
    with pytest.raises(InvalidMaterials):
        submit(
            citizen,
            item=MID,
            materials=_without_upload(citizen, item=MID),
            licence_consent=True,
        )
    application = submit(citizen, item=MID, licence_consent=True)
    assert _row(application).provision == Provision.UPLOAD
    assert not LicenceUse.objects.exists()


def test_a_revoked_licence_is_not_used(held: Licence, persona: Persona, june_tenth: None) -> None:
    licence_revoke(held.identifier, actor=None, role="system", reason="测试撤销")
    citizen = persona("citizen")
    with pytest.raises(InvalidMaterials):
        submit(
            citizen,
            item=MID,
            materials=_without_upload(citizen, item=MID),
            licence_consent=True,
        )
    assert not LicenceUse.objects.exists()


def test_an_expired_licence_is_not_used(held: Licence, persona: Persona) -> None:
    assert held.expires_on == datetime.date(2028, 6, 1)
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2028, 6, 2), tick=False), pytest.raises(InvalidMaterials):
        submit(
            citizen,
            item=MID,
            materials=_without_upload(citizen, item=MID),
            licence_consent=True,
        )
    assert not LicenceUse.objects.exists()


def test_inside_the_chain_the_upstream_licence_is_attached_with_a_use(
    licence_type: LicenceType, persona: Persona, june_tenth: None
) -> None:
    citizen = persona("citizen")
    cases = cases_by_item(submit(citizen, bundle="chain-test"))
    application = cases[UP].application
    # Produced inside the bundle: nothing asked of the applicant, no licence needed yet.
    assert _row(application).provision == Provision.PRODUCED
    assert not LicenceUse.objects.exists()

    approve_through(cases[UP].case_no)
    issued = Licence.objects.get(case=cases[UP])
    row = _row(application)
    assert row.provision == Provision.PRODUCED
    assert row.source_ref == issued.identifier
    assert row.licence_identifier == issued.identifier
    mid = cases[MID]
    mid.refresh_from_db()
    assert mid.state == CaseState.RECEIVED
    use = LicenceUse.objects.get(licence=issued)
    assert (use.case, use.department_id, use.material_key) == (mid, mid.department_id, KEY)
    event = AuditEvent.objects.get(action="licence.use", object_id=issued.identifier)
    assert event.role == "system"
    assert event.actor is None
    assert (event.after or {})["case"] == mid.case_no


def test_the_approver_sees_the_licence_with_a_link_to_verify(
    held: Licence, persona: Persona, client: Client, june_tenth: None
) -> None:
    citizen = persona("citizen")
    application = submit(
        citizen,
        item=MID,
        materials=_without_upload(citizen, item=MID),
        licence_consent=True,
    )
    case = application.cases.get()
    client.force_login(approver_of(case))
    page = client.get(f"/cases/staff/case/{case.case_no}/").content.decode()
    assert f'href="/verify/{held.identifier}"' in page
    assert "电子证照" in page


# ---------------------------------------------------------------- the wizard


def _html(response: Any) -> str:
    return str(response.content.decode())


def _step(pk: int, step: str) -> str:
    return f"/cases/apply/item/{MID}/{pk}/{step}/"


def test_the_wizard_offers_the_held_licence_with_one_consent(
    held: Licence, logged_in: Callable[[str], Client], june_tenth: None
) -> None:
    client = logged_in("citizen")
    response = client.post(f"/cases/apply/item/{MID}/", {"go": "next"})
    assert response.status_code == 302, _html(response)
    match = re.search(r"/(\d+)/form/$", response["Location"])
    assert match
    pk = int(match.group(1))
    form = {f"f-{k}": str(v) for k, v in sample_form(checklist_for({}, item=MID)).items()}
    assert client.post(_step(pk, "form"), form).status_code == 302

    page = _html(client.get(_step(pk, "materials")))
    assert 'data-testid="licence-consent"' in page
    assert "同意本次申请调用我的电子证照，用证记录可在“我的证照”中查看" in page
    # Not consented yet: the normal upload input is there.
    assert f'data-testid="file-{KEY}"' in page
    assert f'data-testid="licence-offer-{KEY}"' in page

    upload = SimpleUploadedFile("表.pdf", PDF_BYTES, "application/pdf")
    response = client.post(
        _step(pk, "materials"), {"file-tc_mid_form": upload, "licence_consent": "1"}
    )
    assert response.status_code == 302, _html(response)
    assert Application.objects.get(pk=pk).licence_consent

    page = _html(client.get(_step(pk, "materials")))
    line = (
        f"免提交：使用您的电子证照《测试证明甲》（证照编号 {held.number}，{held.issuer_name}颁发）"
    )
    assert line in page
    assert f'data-testid="file-{KEY}"' not in page
    assert 'name="licence_consent" id="licence_consent" value="1" checked' in page

    review = _html(client.get(_step(pk, "review")))
    assert "电子证照免提交" in review
    assert 'data-testid="review-blocking"' not in review
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', review)
    assert key
    response = client.post(f"/cases/apply/item/{MID}/{pk}/submit/", {"idempotency_key": key[1]})
    assert response.status_code == 302
    application = Application.objects.get(pk=pk)
    assert _row(application).source_ref == held.identifier
    assert LicenceUse.objects.filter(application=application).count() == 1


def test_at_the_window_the_applicant_consents_once_and_the_clerk_sees_which_licence(
    held: Licence, logged_in: Callable[[str], Client], june_tenth: None
) -> None:
    client = logged_in("clerk")
    page = client.get("/cases/staff/window/new/", {"plan": f"i:{USE}"}).content.decode()
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match is not None
    data = {
        "idempotency_key": match.group(1),
        "plan": f"i:{USE}",
        "plan_shown": f"i:{USE}",
        "applicant_kind": "person",
        "applicant_id_number": held.holder_id,
        "applicant_name": held.holder_name,
        "applicant_phone": "13807300001",
        "acting_as": "self",
        "m-tc_use_form": "paper",
        "step": "refresh",
    }
    shown = client.post("/cases/staff/window/new/", data).content.decode()
    assert 'data-testid="walkin-licence-consent"' in shown
    assert "申请人持有电子证照《测试证明甲》" in shown
    # Without consent paper or a scan is still offered for it.
    assert f'data-testid="material-{KEY}-paper"' in shown

    response = client.post(
        "/cases/staff/window/new/", {**data, "step": "submit", "licence_consent": "1"}
    )
    assert response.status_code == 302
    number = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    application = Application.objects.get(number=number)  # the held licence's own is older
    assert application.licence_consent
    row = _row(application)
    assert row.provision == Provision.LICENCE
    assert row.source_ref == held.identifier
    assert LicenceUse.objects.filter(licence=held, application=application).count() == 1
