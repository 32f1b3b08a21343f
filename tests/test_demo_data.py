"""The demo loader: a realistic Hunan world, loaded idempotently."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command

from tongban.core.demo import load_demo_data
from tongban.core.identifiers import validate_uscc
from tongban.core.models import AuditEvent, Department, Region, Role, RoleAssignment

pytestmark = pytest.mark.django_db


def _snapshot() -> str:
    objects: list[Any] = []
    for app in ("core", "catalog"):
        for model in apps.get_app_config(app).get_models():
            objects.extend(model._default_manager.order_by("pk"))
    return serializers.serialize("json", objects)


def test_second_load_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_demo", "--quiet-logins")
    first = _snapshot()
    events = AuditEvent.objects.count()
    call_command("load_demo", "--quiet-logins")
    assert "无需更改" in capsys.readouterr().out
    assert _snapshot() == first
    assert AuditEvent.objects.count() == events


def test_command_prints_the_demo_logins(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_demo")
    out = capsys.readouterr().out
    for username in ("citizen", "company", "clerk", "catalog", "supervisor", "hotline", "sysadmin"):
        assert f"  {username} " in out
    assert "approver-yy-gongan" in out


def test_regions_form_the_gbt2260_tree() -> None:
    load_demo_data()
    lanshan = Region.objects.get(code="431127")
    assert lanshan.name == "蓝山县"
    assert lanshan.parent is not None
    assert lanshan.parent.code == "431100"
    assert lanshan.parent.parent is not None
    assert lanshan.parent.parent.code == "430000"
    assert Region.objects.get(code="421000").parent_id == "420000"  # 荆州 under 湖北
    assert {r.level for r in Region.objects.all()} == {"province", "prefecture", "county"}


def test_departments_have_valid_unique_credit_codes() -> None:
    load_demo_data()
    departments = list(Department.objects.all())
    assert len(departments) >= 15
    assert len({d.uscc for d in departments}) == len(departments)
    for department in departments:
        assert validate_uscc(department.uscc).valid, department.name


def test_every_role_has_a_demo_account() -> None:
    load_demo_data()
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
