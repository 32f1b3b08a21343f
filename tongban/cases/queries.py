"""Read side: queues with keyset pagination, warning levels, timelines, bundle status."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tongban.catalog.graph import topological_order
from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent
from tongban.core.workcalendar import WorkCalendar, current_calendar

from .clock import warning_level, yellow_limit
from .enums import DECIDED_STATES, ENDED_STATES, OPEN_STATES, CaseState, WarningLevel
from .models import Application, Case, CaseLink, ProxyMandate

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_FAR_FUTURE = datetime.date(9999, 12, 31)


def warning_filter(level: str, today: datetime.date, cal: WorkCalendar) -> Q:
    """The cases at `level` today, as an index-friendly condition on (state, promised_due)."""
    running = Q(state=CaseState.IN_REVIEW)
    if level == WarningLevel.RED:
        return running & Q(promised_due__lt=today)
    if level == WarningLevel.YELLOW:
        return running & Q(promised_due__gte=today, promised_due__lte=yellow_limit(today, cal))
    if level == WarningLevel.NORMAL:
        return ~running | Q(promised_due__gt=yellow_limit(today, cal))
    raise DomainError("bad_warning", "warning 应为 normal、yellow 或 red", 400)


DEFICIENCY_KINDS = ("open", "overdue")


def deficiency_filter(kind: str, today: datetime.date) -> Q:
    """容缺: cases with materials still to be supplied ("open"), or past the supply-by date."""
    pending = Q(deficiency_supply_by__isnull=False, deficiency_supplied_at__isnull=True) & ~Q(
        state__in=ENDED_STATES
    )
    if kind == "open":
        return pending
    if kind == "overdue":
        return pending & Q(deficiency_supply_by__lt=today)
    raise DomainError("bad_deficiency", "deficiency 应为 open 或 overdue", 400)


def deficiency_state(case: Case, today: datetime.date) -> str:
    """The same conditions for one loaded case: "", "open" or "overdue"."""
    if (
        case.deficiency_supply_by is None
        or case.deficiency_supplied_at is not None
        or case.state in ENDED_STATES
    ):
        return ""
    return "overdue" if case.deficiency_supply_by < today else "open"


def _cursor(case: Case) -> str:
    return f"{(case.promised_due or _FAR_FUTURE).isoformat()}~{case.pk}"


def _after(cursor: str) -> Q:
    try:
        due_text, pk_text = cursor.split("~")
        due, pk = datetime.date.fromisoformat(due_text), int(pk_text)
    except ValueError:
        raise DomainError("bad_cursor", "分页游标无效", 400) from None
    if due == _FAR_FUTURE:
        return Q(promised_due__isnull=True, pk__gt=pk)
    return Q(promised_due__gt=due) | Q(promised_due=due, pk__gt=pk) | Q(promised_due__isnull=True)


@dataclass
class CasePage:
    cases: list[Case]
    next_cursor: str | None


def case_page(
    base: QuerySet[Case],
    *,
    department: int | None = None,
    state: str | None = None,
    warning: str | None = None,
    due_before: datetime.date | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> CasePage:
    """Cases in due-date order (no due date last), `limit` at a time, resumable by cursor."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = base
    if department is not None:
        query = query.filter(department_id=department)
    if state:
        if state == "open":
            query = query.filter(state__in=OPEN_STATES)
        elif state in CaseState.values:
            query = query.filter(state=state)
        else:
            raise DomainError("bad_state", f"未知的办件状态“{state}”", 400)
    if warning:
        query = query.filter(warning_filter(warning, timezone.localdate(), current_calendar()))
    if due_before is not None:
        query = query.filter(promised_due__lt=due_before)
    if after:
        query = query.filter(_after(after))
    rows = list(
        query.select_related("department", "application").order_by(
            F("promised_due").asc(nulls_last=True), "pk"
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage(rows, _cursor(rows[-1]) if more and rows else None)


# Reads are audited too, but they are not part of the case's story.
NOT_IN_TIMELINE = ("case.view_personal_data",)


def case_history(case: Case) -> list[AuditEvent]:
    """The case's timeline: the submission, then every event of the case, in order."""
    submitted = Q(
        object_type="application",
        object_id=case.application.number,
        action="application.submit",
    )
    own = Q(object_type="case", object_id=case.case_no) & ~Q(action__in=NOT_IN_TIMELINE)
    return list(AuditEvent.objects.filter(submitted | own).order_by("chain", "seq"))


def case_warning(
    case: Case, today: datetime.date | None = None, cal: WorkCalendar | None = None
) -> str:
    """The case's warning level; lists pass `today` and one calendar snapshot for all rows."""
    return warning_level(
        case.state, case.promised_due, today or timezone.localdate(), cal or current_calendar()
    )


@dataclass
class BundleStatus:
    label: str
    due: datetime.date | None  # the whole application's expected completion (critical path)
    provisional: bool


def bundle_statuses(
    groups: list[list[Case]], cal: WorkCalendar | None = None
) -> list[BundleStatus]:
    """The status of each application (given as its cases): a constant number of queries
    however many applications — the dependency edges once, the calendar once, the pinned
    item specs of the not-yet-accepted cases once."""
    from tongban.catalog.plan import promised_working_days
    from tongban.catalog.store import pinned_item_specs

    cases = [case for group in groups for case in group]
    if not cases:
        return [BundleStatus("待受理", None, False) for _ in groups]
    links = list(
        CaseLink.objects.filter(downstream__in=cases).values_list("upstream_id", "downstream_id")
    )
    unstarted = {c.item_version_id for c in cases if c.promised_due is None}
    specs = pinned_item_specs(unstarted) if unstarted else {}
    days = {pk: promised_working_days(spec) for pk, spec in specs.items()}
    cal, today = cal or current_calendar(), timezone.localdate()
    return [_status(group, links, days, cal, today) for group in groups]


def bundle_status(cases: list[Case], cal: WorkCalendar | None = None) -> BundleStatus:
    return bundle_statuses([cases], cal)[0]


def _status(
    cases: list[Case],
    links: list[tuple[int, int]],
    promised_days: dict[int, int],
    cal: WorkCalendar,
    today: datetime.date,
) -> BundleStatus:
    """State and due date of one application, following from its cases; the due date is the
    critical path (a case not yet accepted is expected its promised days after its last
    upstream's expected date)."""
    by_pk = {c.pk: c for c in cases}
    edges = [(u, d) for u, d in links if u in by_pk and d in by_pk]
    expected: dict[int, datetime.date | None] = {}
    provisional = False
    order = topological_order([str(pk) for pk in by_pk], [(str(u), str(d)) for u, d in edges])
    for pk in (int(node) for node in order):
        case = by_pk[pk]
        if case.state in (CaseState.REFUSED, CaseState.WITHDRAWN, CaseState.CANCELLED):
            expected[pk] = None
            continue
        if case.decided_at is not None:
            expected[pk] = timezone.localdate(case.decided_at)
            continue
        if case.promised_due is not None:
            expected[pk] = case.promised_due
            provisional |= case.due_provisional
            continue
        starts = [expected[u] for u, d in edges if d == pk and expected.get(u)]
        start = max([today, *[s for s in starts if s is not None]])
        due = cal.add_working_days(start, promised_days[case.item_version_id])
        expected[pk] = due.due
        provisional |= due.provisional
    dues = [d for d in expected.values() if d is not None]
    states = {c.state for c in cases}
    if states & {CaseState.SUPPLEMENT}:
        label = "待补正"
    elif not states & OPEN_STATES:
        label = "已全部办结"
    elif states & {CaseState.IN_REVIEW, CaseState.SPECIAL} or states & DECIDED_STATES:
        label = "办理中"
    else:
        label = "待受理"
    return BundleStatus(label, max(dues) if dues else None, provisional)


def application_by_number(number: str) -> Application:
    application = Application.objects.filter(number=number).first()
    if application is None:
        raise DomainError("not_found", f"申请“{number}”不存在", 404)
    return application


def cases_of(application: Application) -> list[Case]:
    return list(application.cases.select_related("department").order_by("pk"))


@dataclass(frozen=True)
class ProxyActivity:
    """帮代办 as the citizen sees it: who acts for them, on what consent, and what they did."""

    mandate: ProxyMandate
    events: list[AuditEvent]


def proxy_activity(application: Application) -> ProxyActivity | None:
    if application.proxy_mandate_id is None:
        return None
    mandate = ProxyMandate.objects.select_related("agent", "ticket").get(
        pk=application.proxy_mandate_id
    )
    objects = Q(object_type="application", object_id=application.number) | Q(
        object_type="case", object_id__in=application.cases.values("case_no")
    )
    events = list(AuditEvent.objects.filter(objects, actor_id=mandate.agent_id).order_by("seq"))
    return ProxyActivity(mandate, events)
