from .audit import AppendOnlyError, AuditChainHead, AuditEvent
from .calendar import CalendarDay, CalendarSource, CalendarYear, DayKind
from .department import Department, DepartmentKind
from .region import Region, RegionLevel
from .token import ApiToken
from .user import DEPARTMENT_ROLES, STAFF_ROLES, Role, RoleAssignment, User

__all__ = [
    "DEPARTMENT_ROLES",
    "STAFF_ROLES",
    "ApiToken",
    "AppendOnlyError",
    "AuditChainHead",
    "AuditEvent",
    "CalendarDay",
    "CalendarSource",
    "CalendarYear",
    "DayKind",
    "Department",
    "DepartmentKind",
    "Region",
    "RegionLevel",
    "Role",
    "RoleAssignment",
    "User",
]
