"""System-administrator edits in the Django admin land in the audit chain."""

from __future__ import annotations

from tongban.core.audit import verify_audit_chain
from tongban.core.models import AuditEvent, Department, RoleAssignment, User


def _department_form(department: Department, **changes: str) -> dict[str, str]:
    data = {
        "code": department.code,
        "name": department.name,
        "short_name": department.short_name,
        "region": department.region_id,
        "uscc": department.uscc,
        "kind": department.kind,
        "phone": department.phone,
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_department_rename_is_audited_with_before_and_after(logged_in) -> None:
    client = logged_in("sysadmin")
    police = Department.objects.get(code="yy-gongan")
    response = client.post(
        f"/admin/core/department/{police.pk}/change/",
        _department_form(police, name="岳阳市公安局（更名测试）"),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin_changed", object_type="department")
    assert event.before is not None
    assert event.after is not None
    assert event.before["name"] == "岳阳市公安局"
    assert event.after["name"] == "岳阳市公安局（更名测试）"
    assert event.actor_name == "sysadmin"
    assert verify_audit_chain().ok


def test_invalid_credit_code_is_refused_in_chinese_and_nothing_is_written(logged_in) -> None:
    client = logged_in("sysadmin")
    police = Department.objects.get(code="yy-gongan")
    events = AuditEvent.objects.count()
    response = client.post(
        f"/admin/core/department/{police.pk}/change/",
        _department_form(police, uscc="11430600DE0000010X"),
    )
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()
    police.refresh_from_db()
    assert police.uscc != "11430600DE0000010X"
    assert AuditEvent.objects.count() == events


def test_unchanged_save_writes_no_event(logged_in) -> None:
    client = logged_in("sysadmin")
    police = Department.objects.get(code="yy-gongan")
    client.post(f"/admin/core/department/{police.pk}/change/", _department_form(police))
    assert not AuditEvent.objects.filter(object_type="department").exists()


def test_removing_a_role_through_the_user_page_is_audited(logged_in) -> None:
    client = logged_in("sysadmin")
    hotline = User.objects.get(username="hotline")
    assignment = RoleAssignment.objects.get(user=hotline)
    page = client.get(f"/admin/core/user/{hotline.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "date_joined_0": hotline.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": hotline.date_joined.strftime("%H:%M:%S"),
            "is_active": "on",
            "groups": [],
            "user_permissions": [],
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-INITIAL_FORMS": "1",
            "role_assignments-MIN_NUM_FORMS": "0",
            "role_assignments-MAX_NUM_FORMS": "1000",
            "role_assignments-0-id": str(assignment.pk),
            "role_assignments-0-user": str(hotline.pk),
            "role_assignments-0-role": assignment.role,
            "role_assignments-0-region": assignment.region_id or "",
            "role_assignments-0-department": "",
            "role_assignments-0-DELETE": "on",
        }
    )
    data.pop("is_staff", None)
    data.pop("is_superuser", None)
    response = client.post(f"/admin/core/user/{hotline.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert not RoleAssignment.objects.filter(user=hotline).exists()
    event = AuditEvent.objects.get(action="admin_deleted", object_type="roleassignment")
    assert event.object_id == str(assignment.pk)
    assert event.before is not None
    assert event.before["role"] == "hotline"
