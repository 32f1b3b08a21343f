"""Electronic licences issued by an approval: identifier, signature, verification statuses,
revocation with the case, correction as a new version, expiry and key rotation."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import time_machine

from tongban.cases.actions.lifecycle import case_revoke
from tongban.cases.models import Case
from tongban.core.errors import DomainError
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.models import AuditEvent, User
from tongban.licences.actions import held_licence, licence_correct, licence_revoke
from tongban.licences.identifier import parse_identifier
from tongban.licences.models import Licence, LicenceStatus, LicenceType
from tongban.licences.records import CheckStatus, check_licence, licence_keyring
from tongban.licences.signing import KeyRingError

from .case_helpers import (
    approve_through,
    approver_of,
    import_case_catalog,
    shanghai,
    submit,
    tc_licence_type,
)

Persona = Callable[[str], User]


@pytest.fixture
def licence_type(demo: None) -> LicenceType:
    import_case_catalog("TCHAINUP01")
    return tc_licence_type()


def _issue(persona: Persona, day: int = 1) -> Licence:
    with time_machine.travel(shanghai(2026, 6, day), tick=False):
        case = submit(persona("citizen"), item="TCHAINUP01").cases.get()
        approve_through(case.case_no)
    return Licence.objects.get(case=case)


def test_an_approval_issues_a_signed_licence_to_the_applicant(
    licence_type: LicenceType, persona: Persona
) -> None:
    licence = _issue(persona)
    case = licence.case
    assert case is not None
    parsed = parse_identifier(licence.identifier)
    assert parsed.type_code == licence_type.code
    assert parsed.issuer_code == case.department.uscc
    assert parsed.version == 1
    assert licence.issuer_name == case.department.name
    assert licence.issued_on == datetime.date(2026, 6, 1)
    assert licence.expires_on == datetime.date(2028, 6, 1)
    assert licence.holder_id == case.application.applicant_id
    assert licence.holder_id_digest == lookup_digest(case.application.applicant_id)
    assert licence.holder_user == persona("citizen")
    assert licence.data == {"申请人": case.application.applicant_name, "办件编号": case.case_no}
    assert AuditEvent.objects.filter(action="licence.issue", object_id=licence.identifier).exists()
    check = check_licence(licence.identifier.lower())
    assert check.status == CheckStatus.VALID
    public = check.public()
    assert public["issuer_name"] == case.department.name
    assert case.application.applicant_id not in str(public)
    assert "申请人" not in str(public)  # the face data may be personal


def test_an_edited_row_is_reported_as_tampered(licence_type: LicenceType, persona: Persona) -> None:
    licence = _issue(persona)
    Licence.objects.filter(pk=licence.pk).update(expires_on=datetime.date(2099, 1, 1))
    check = check_licence(licence.identifier)
    assert check.status == CheckStatus.TAMPERED
    assert "issuer_name" not in check.public()


def test_revoking_the_decision_revokes_the_licence(
    licence_type: LicenceType, persona: Persona
) -> None:
    licence = _issue(persona)
    case = Case.objects.get(licences=licence)
    case_revoke(case.case_no, actor=approver_of(case), role="approver", reason="以欺骗手段取得")
    check = check_licence(licence.identifier)
    assert check.status == CheckStatus.REVOKED
    assert check.public()["status_reason"] == "以欺骗手段取得"
    with pytest.raises(DomainError) as caught:
        licence_revoke(licence.identifier, actor=None, role="system", reason="再撤一次")
    assert caught.value.status == 409


def test_only_the_issuer_revokes_and_a_reason_is_required(
    licence_type: LicenceType, persona: Persona
) -> None:
    licence = _issue(persona)
    with pytest.raises(DomainError) as caught:
        licence_revoke(
            licence.identifier, actor=persona("approver-yy-gongan"), role="approver", reason="x"
        )
    assert caught.value.status == 403
    issuer = approver_of(Case.objects.get(licences=licence))
    with pytest.raises(DomainError) as caught:
        licence_revoke(licence.identifier, actor=issuer, role="approver", reason=" ")
    assert caught.value.status == 400
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID


def test_a_correction_is_a_new_version_and_the_old_one_points_to_it(
    licence_type: LicenceType, persona: Persona
) -> None:
    licence = _issue(persona)
    issuer = approver_of(Case.objects.get(licences=licence))
    new = licence_correct(
        licence.identifier,
        actor=issuer,
        role="approver",
        reason="姓名录入错误",
        data={"申请人": "李小宝（更正）"},
    )
    assert new.base == licence.base
    assert new.version == 2
    assert parse_identifier(new.identifier).version == 2
    assert check_licence(new.identifier).status == CheckStatus.VALID
    old = check_licence(licence.identifier)
    assert old.status == CheckStatus.SUPERSEDED
    assert old.newest == new.identifier
    with pytest.raises(DomainError):
        licence_correct(new.identifier, actor=issuer, role="approver", reason="无变化", data={})


def test_expiry_and_key_rotation(licence_type: LicenceType, persona: Persona) -> None:
    first = _issue(persona, day=1)
    ring = licence_keyring()
    rotated = ring.generate()
    second = _issue(persona, day=2)
    assert second.key_id == rotated.key_id != first.key_id
    # Both verify: old keys stay published after a rotation.
    assert check_licence(first.identifier).status == CheckStatus.VALID
    assert check_licence(second.identifier).status == CheckStatus.VALID
    assert {k["key_id"] for k in ring.public_keys()} >= {first.key_id, second.key_id}
    later = datetime.date(2028, 6, 3)
    assert check_licence(first.identifier, later).status == CheckStatus.EXPIRED
    assert held_licence(first.holder_id, "tc_licence_a", later) is None
    assert held_licence(first.holder_id, "tc_licence_a", datetime.date(2026, 6, 3)) == second


def test_unknown_identifier_is_not_found(db: None) -> None:
    assert check_licence("1.2.156.3005.2.X.Y.Z.001.A").status == CheckStatus.NOT_FOUND


def test_checking_never_creates_a_key_and_issuing_needs_one_in_production(
    licence_type: LicenceType, persona: Persona, settings, tmp_path
) -> None:
    licence = _issue(persona)
    settings.TONGBAN_LICENCE_KEY_DIR = str(tmp_path / "empty")
    settings.INSECURE_DEFAULTS_ALLOWED = False
    # The key that signed it is not published here: the check says so, it does not crash.
    assert check_licence(licence.identifier).status == CheckStatus.TAMPERED
    assert not (tmp_path / "empty").exists()
    with pytest.raises(KeyRingError):
        licence_keyring()
