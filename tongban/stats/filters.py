"""What a statistics request asks for — period, region, department, bundle — and who may ask.

Parsing gives a clear Chinese error (400) for bad input; `scoped` narrows a filter to what the
user answers for: a supervisor sees their region(s), a department's approver only their
department (the department view), and a request outside that scope is a 403.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.db.models import Q
from django.utils import timezone

from tongban.catalog.models import Bundle
from tongban.core.errors import DomainError
from tongban.core.models import Department, Region, Role, User
from tongban.core.models.region import region_level_for_code
from tongban.core.roles import supervised_prefixes

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366  # three years of days: the longest period one request may sum


@dataclass(frozen=True)
class StatsFilter:
    date_from: datetime.date
    date_to: datetime.date
    region: str | None = None  # a region code; its sub-regions are included
    department: int | None = None
    bundle: str | None = None

    @property
    def region_prefix(self) -> str | None:
        if self.region is None:
            return None
        return Region(code=self.region, level=region_level_for_code(self.region)).code_prefix()

    @property
    def prefecture_or_wider(self) -> bool:
        """Whether the region filter is everything, a province or a prefecture (地市): the
        bundle grains, which keep only each row's prefecture, can answer it."""
        prefix = self.region_prefix
        return prefix is None or len(prefix) <= 4

    def region_q(self, field: str = "region") -> Q:
        """`field` is a foreign key to Region (its code is the key, so no join is made)."""
        prefix = self.region_prefix
        return Q(**{f"{field}__code__startswith": prefix}) if prefix else Q()

    def as_params(self) -> dict[str, str]:
        """The filter as query-string values (for links to exports and drill-downs)."""
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.region:
            params["region"] = self.region
        if self.department:
            params["department"] = str(self.department)
        if self.bundle:
            params["bundle"] = self.bundle
        return params


def _date(value: str, what: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise DomainError("bad_date", f"{what}格式应为 YYYY-MM-DD", 400) from None


def parse_filter(params: Mapping[str, str], today: datetime.date) -> StatsFilter:
    """A filter from query parameters `from`, `to`, `region`, `department`, `bundle`."""
    raw_to = (params.get("to") or "").strip()
    raw_from = (params.get("from") or "").strip()
    date_to = _date(raw_to, "截止日期") if raw_to else today
    date_from = (
        _date(raw_from, "起始日期")
        if raw_from
        else date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
    )
    if date_from > date_to:
        raise DomainError("bad_period", "起始日期不能晚于截止日期", 400)
    if (date_to - date_from).days >= MAX_DAYS:
        raise DomainError("period_too_long", "统计期间最长三年，请缩短期间", 400)
    region = (params.get("region") or "").strip() or None
    if region is not None and not Region.objects.filter(code=region).exists():
        raise DomainError("unknown_region", f"行政区划“{region}”不存在", 400)
    department = _department(params.get("department"))
    bundle = (params.get("bundle") or "").strip() or None
    if bundle is not None and not Bundle.objects.filter(code=bundle).exists():
        raise DomainError("unknown_bundle", f"一件事“{bundle}”不存在", 400)
    return StatsFilter(date_from, date_to, region, department, bundle)


def _department(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not Department.objects.filter(pk=int(raw)).exists():
        raise DomainError("unknown_department", f"部门“{raw}”不存在", 400)
    return int(raw)


def can_see_statistics(user: User) -> bool:
    return user.has_role(Role.SUPERVISOR) or user.has_role(Role.APPROVER)


def require_statistics(user: User) -> User:
    """403 for anyone but supervisors and department staff."""
    if not can_see_statistics(user):
        raise DomainError("forbidden", "只有效能监督人员和部门人员可以查看统计数据", 403)
    return user


def statistics_filter(params: Mapping[str, str], user: User) -> StatsFilter:
    """The filter a request asks for, checked (400) and narrowed to the user's scope (403)."""
    require_statistics(user)
    return scoped(parse_filter(params, timezone.localdate()), user)


def scoped(stats: StatsFilter, user: User) -> StatsFilter:
    """The filter narrowed to the user's scope; 403 when it asks for more than that."""
    if user.has_role(Role.SUPERVISOR):
        prefixes = supervised_prefixes(user)
        if prefixes is None:
            return stats
        if stats.region is None:
            home = min(prefixes, key=len)
            region = Region.objects.filter(code__startswith=home).order_by("code").first()
            stats = replace(stats, region=region.code if region else None)
        if not any((stats.region or "").startswith(p) for p in prefixes):
            raise DomainError("forbidden", "您无权查看该区划的统计数据", 403)
        if stats.department is not None and not any(
            code.startswith(p)
            for code in Department.objects.filter(pk=stats.department).values_list(
                "region_id", flat=True
            )
            for p in prefixes
        ):
            raise DomainError("forbidden", "您无权查看该部门的统计数据", 403)
        return stats
    own = sorted(
        a.department_id
        for a in user.assignments_by_role().get(Role.APPROVER, [])
        if a.department_id is not None
    )
    if not own:
        raise DomainError("forbidden", "只有效能监督人员和部门人员可以查看统计数据", 403)
    department = stats.department if stats.department is not None else own[0]
    if department not in own:
        raise DomainError("forbidden", "您只能查看本部门的统计数据", 403)
    return replace(stats, department=department, region=None)
