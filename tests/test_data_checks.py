"""数据核验 through pluggable register adapters: the contract and registry, the built-in
register's answers, the answer kept (encrypted) with the material, and an adapter that
cannot answer sending the material back to upload or paper — with nothing lost."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tongban.cases.data_checks import people_in_form, run_check
from tongban.cases.enums import Provision
from tongban.cases.materials import InvalidMaterials
from tongban.cases.models import Application, ApplicationMaterial
from tongban.catalog.checklist import ChecklistField
from tongban.core.identifiers import make_resident_id
from tongban.core.models import User
from tongban.registers.contract import (
    Outcome,
    RegisterAnswer,
    RegisterQuery,
    RegisterUnavailable,
)
from tongban.registers.demo import MARRIAGE, POPULATION, SOCIAL_INSURANCE, load_demo_registers
from tongban.registers.models import RegisterRecord

from .case_helpers import import_case_catalog, make_upload, submit

Persona = Callable[[str], User]
MOTHER = make_resident_id("43060219920315402")  # 李晓梅, in the demo register
FATHER = make_resident_id("43060219900101001")  # 王建国
STRANGER = make_resident_id("43060219700101001")
TODAY = datetime.date(2026, 6, 1)
DEMO_ADAPTERS = {
    POPULATION: "tongban.registers.local.PopulationRegister",
    MARRIAGE: "tongban.registers.local.MarriageRegister",
    SOCIAL_INSURANCE: "tongban.registers.local.SocialInsuranceRegister",
}
pytestmark = pytest.mark.django_db


class DownRegister:
    """A register that times out, as a real one does."""

    def check(self, query: RegisterQuery) -> RegisterAnswer:
        raise RegisterUnavailable("连接超时（3秒）")


class BrokenRegister:
    """An adapter with a bug: it must not cost the applicant the application."""

    def check(self, query: RegisterQuery) -> RegisterAnswer:
        raise KeyError("unexpected reply")


def _field(key: str, label: str, kind: str = "resident_id") -> ChecklistField:
    return ChecklistField(
        key=key, label=label, kind=kind, required=True, options=[], help="", items=[]
    )


FIELDS = [
    _field("mother.id_number", "母亲身份证号码"),
    _field("father.id_number", "父亲身份证号码"),
    _field("applicant.id_number", "身份证号码"),
    _field("mother.name", "母亲姓名", "text"),
]


@pytest.fixture
def case_catalog(demo: None) -> None:
    import_case_catalog("TAUTO01")


@pytest.fixture
def registers(settings: Any) -> None:
    settings.TONGBAN_REGISTER_ADAPTERS = dict(DEMO_ADAPTERS)
    load_demo_registers()


def _check(register: str, **form: str) -> Any:
    return run_check(register, form, FIELDS, TODAY)


# ---------------------------------------------------------------- the people asked about


def test_the_people_asked_about_are_the_forms_id_numbers_with_their_names() -> None:
    form = {
        "mother.id_number": MOTHER.lower(),
        "mother.name": "李晓梅",
        "applicant.id_number": FATHER,
        "applicant.name": "王建国",
        "father.id_number": "",
    }
    people = people_in_form(form, FIELDS)
    assert [(p.role, p.name, p.id_number) for p in people] == [
        ("母亲", "李晓梅", MOTHER),  # upper-cased: an X check digit may be typed as x
        ("申请人", "王建国", FATHER),  # the bare label takes the role from the key
    ]


# ---------------------------------------------------------------- the built-in register


def test_population_register_confirms_a_known_person_with_household_facts(registers: None) -> None:
    result = _check(POPULATION, **{"mother.id_number": MOTHER, "mother.name": "李晓梅"})
    assert result.passed is True
    assert result.detail == "人口库核验一致：母亲"
    answer = result.answer["answers"][0]
    assert answer["register"] == POPULATION
    assert answer["outcome"] == Outcome.CONFIRMED
    assert answer["adapter"] == "tongban.registers.local.PopulationRegister"
    assert answer["facts"]["母亲"]["与户主关系"] == "妻"
    assert len(answer["reference"]) == 16


def test_population_register_denies_a_name_that_does_not_match(registers: None) -> None:
    result = _check(POPULATION, **{"mother.id_number": MOTHER, "mother.name": "李小梅"})
    assert result.passed is False
    assert result.detail == "姓名与人口库登记不一致：母亲"


def test_population_register_checks_an_unknown_person_locally_and_says_so(
    registers: None,
) -> None:
    result = _check(POPULATION, **{"mother.id_number": STRANGER})
    assert result.passed is True
    assert "母亲不在本地共享库" in result.detail
    assert "未联网查询" in result.detail
    bad = STRANGER[:-1] + ("0" if STRANGER[-1] != "0" else "1")
    assert _check(POPULATION, **{"mother.id_number": bad}).passed is False


def test_marriage_and_insurance_registers(registers: None) -> None:
    married = _check(MARRIAGE, **{"mother.id_number": MOTHER, "father.id_number": STRANGER})
    assert married.passed is True  # one registered spouse is enough
    assert married.answer["answers"][0]["facts"]["母亲"]["配偶姓名"] == "王建国"
    assert _check(MARRIAGE, **{"mother.id_number": STRANGER}).passed is False

    assert _check(SOCIAL_INSURANCE, **{"father.id_number": FATHER}).passed is True
    record = RegisterRecord.objects.get(register=SOCIAL_INSURANCE, subject_name="王建国")
    record.facts = {**record.facts, "参保状态": "暂停缴费"}
    record.save()
    stopped = _check(SOCIAL_INSURANCE, **{"father.id_number": FATHER})
    assert stopped.passed is False
    assert stopped.detail == "父亲当前不是正常参保状态"


def test_several_registers_must_all_confirm_and_unconnected_ones_go_to_the_department(
    registers: None,
) -> None:
    both = f"{POPULATION}、{MARRIAGE}"
    assert _check(both, **{"mother.id_number": MOTHER}).passed is True
    assert _check(both, **{"mother.id_number": STRANGER}).passed is False
    partly = _check(f"{POPULATION}、民政低保系统", **{"mother.id_number": MOTHER})
    assert partly.passed is None
    assert "“民政低保系统”未接入，由部门核验" in partly.detail
    no_people = _check(POPULATION)
    assert no_people.passed is None
    assert no_people.answer == {}


def test_the_identity_format_check_is_the_default_without_a_register(settings: Any) -> None:
    # Production settings without TONGBAN_DEMO: nothing pretends to have asked a register.
    settings.TONGBAN_REGISTER_ADAPTERS = {
        POPULATION: "tongban.registers.identity.IdentityFormatCheck"
    }
    result = _check(POPULATION, **{"mother.id_number": MOTHER})
    assert result.passed is True
    assert result.detail == "1个身份证号码格式与校验位正确（本地校验，未联网查询）"
    assert _check(MARRIAGE, **{"mother.id_number": MOTHER}).passed is None


@pytest.mark.parametrize(
    ("adapter", "detail"),
    [("DownRegister", "连接超时（3秒）"), ("BrokenRegister", "核验服务异常")],
)
def test_an_adapter_that_cannot_answer_is_unavailable_not_a_no(
    settings: Any, adapter: str, detail: str
) -> None:
    settings.TONGBAN_REGISTER_ADAPTERS = {MARRIAGE: f"tests.test_data_checks.{adapter}"}
    result = _check(MARRIAGE, **{"mother.id_number": MOTHER})
    assert result.unavailable is True
    assert result.passed is None
    assert result.detail == detail
    assert result.answer["answers"][0]["outcome"] == Outcome.UNAVAILABLE


# ---------------------------------------------------------------- with an application


def _auto_form() -> dict[str, Any]:
    return {"tc_age": 30, "tc.applicant_id": MOTHER}


def test_the_answer_is_kept_with_the_material_encrypted(
    case_catalog: None, persona: Persona, registers: None
) -> None:
    application = submit(persona("citizen"), item="TAUTO01", form=_auto_form())
    row = application.materials.get(key="tc_identity")
    assert row.provision == Provision.DATA_CHECK
    assert row.check_passed is True
    assert row.register_answers[0]["facts"]["申请人"]["户籍地址"].startswith("湖南省岳阳市")
    assert row.register_answers[0]["label"] == "核验通过"
    with connection.cursor() as cursor:
        cursor.execute("SELECT check_answer FROM cases_applicationmaterial WHERE id = %s", [row.pk])
        (raw,) = cursor.fetchone()
    assert "户籍地址" not in raw  # the register's facts are personal data
    assert MOTHER not in raw


def test_online_submission_asks_for_an_upload_when_the_register_is_down(
    case_catalog: None, persona: Persona, settings: Any
) -> None:
    settings.TONGBAN_REGISTER_ADAPTERS = {POPULATION: "tests.test_data_checks.DownRegister"}
    citizen = persona("citizen")
    with pytest.raises(InvalidMaterials) as refused:
        submit(citizen, item="TAUTO01", form=_auto_form())
    assert refused.value.problems == [
        {
            "material": "tc_identity",
            "message": "身份核验：数据核验暂时无法完成（全国人口基础信息库：连接超时（3秒）），"
            "请上传该材料，已填写的内容不会丢失",
        }
    ]
    assert not Application.objects.exists()  # nothing half-written

    from tongban.cases.inputs import MaterialChoice

    scan = MaterialChoice(Provision.UPLOAD, upload=make_upload(citizen))
    application = submit(
        citizen, item="TAUTO01", form=_auto_form(), materials={"tc_identity": scan}
    )
    row = application.materials.get(key="tc_identity")
    assert row.provision == Provision.UPLOAD
    assert row.check_passed is None
    assert row.register_was_down is True
    # 秒批 needs the check: with the register down a person decides.
    assert application.cases.get().state == "received"


# ---------------------------------------------------------------- at the window


def _walk_in(client: Client, **extra: str) -> Any:
    page = client.get("/cases/staff/window/new/", {"plan": "i:TAUTO01"}).content.decode()
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match is not None
    data = {
        "idempotency_key": match.group(1),
        "plan": "i:TAUTO01",
        "plan_shown": "i:TAUTO01",
        "applicant_kind": "person",
        "applicant_id_number": MOTHER,
        "applicant_name": "李晓梅",
        "applicant_phone": "13807300001",
        "acting_as": "self",
        "f-tc_age": "30",
        "f-tc.applicant_id": MOTHER,
        "step": "submit",
        **extra,
    }
    return client.post("/cases/staff/window/new/", data)


def test_the_clerk_is_told_and_takes_paper_when_the_register_is_down(
    case_catalog: None, logged_in: Callable[[str], Client], settings: Any
) -> None:
    settings.TONGBAN_REGISTER_ADAPTERS = {POPULATION: "tests.test_data_checks.DownRegister"}
    client = logged_in("clerk")

    refused = _walk_in(client)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "数据核验暂时无法完成（全国人口基础信息库：连接超时（3秒））" in page
    assert "请收取纸质材料或上传扫描件" in page
    assert 'data-testid="material-tc_identity-paper"' in page  # the fallback is offered
    assert 'value="30"' in page  # what was typed is still there
    assert not Application.objects.exists()

    done = _walk_in(client, **{"m-tc_identity": "paper"})
    assert done.status_code == 302
    row = ApplicationMaterial.objects.get(key="tc_identity")
    assert row.provision == Provision.PAPER
    assert row.register_was_down is True


def test_the_approver_sees_the_registers_answer(
    case_catalog: None,
    persona: Persona,
    registers: None,
    logged_in: Callable[[str], Client],
) -> None:
    form = {**_auto_form(), "tc_age": 17}  # the 秒批 rule fails: a person decides
    case = submit(persona("citizen"), item="TAUTO01", form=form).cases.get()
    approver = f"approver-{case.department.code}"
    page = logged_in(approver).get(f"/cases/staff/case/{case.case_no}/").content.decode()
    assert 'data-testid="material-check-tc_identity"' in page
    assert "人口库核验一致：申请人" in page
    assert "与户主关系" in page
    assert "查询编号" in page
