"""Reads that are themselves recorded: staff opening a full record with personal data."""

from __future__ import annotations

from tongban.core.audit import record_event
from tongban.core.models import User

from ..models import Case


def case_view_personal_data(user: User, role: str, case: Case) -> None:
    """Record that a staff member opened the case's full record (ID number, form, files)."""
    record_event(
        action="case.view_personal_data",
        object_type="case",
        object_id=case.case_no,
        actor=user,
        role=role,
    )
