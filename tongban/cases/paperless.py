"""Measured 免提交 (paperless) share: of the materials applicants were asked for, how many
they did not have to hand in — fetched as an e-licence, checked against a register, covered
by a written commitment, or produced by an earlier item of the same bundle.

The catalog's 材料精简率 (catalog/metrics.py) is the plan: what the catalog says can fall
away. This is what did, counted on the current material rows of submitted applications
(rows replaced by a supplement are history, drafts are not applications yet). A data check
the register answered "no" to (`check_passed` False) was not paperless: the applicant has
to bring the proof after all. `None` means a department checks the register by hand — still
nothing asked of the applicant.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from tongban.catalog.metrics import share

from .enums import ApplicationStatus, Provision
from .models import Application, ApplicationMaterial


@dataclass(frozen=True)
class PaperlessShare:
    total: int = 0  # current material rows
    licence: int = 0  # 电子证照免提交
    data_check: int = 0  # 数据核验免提交, unless the register said no
    commitment: int = 0  # 告知承诺
    produced: int = 0  # 前置办件结果自动获取
    applications: int = 0

    @property
    def without_paper(self) -> int:
        return self.licence + self.data_check + self.commitment + self.produced

    @property
    def submitted(self) -> int:  # uploaded, paper, deferred, not provided, failed checks
        return self.total - self.without_paper

    @property
    def rate(self) -> Decimal | None:  # 材料免提交率
        return share(self.without_paper, self.total)

    @property
    def licence_rate(self) -> Decimal | None:
        return share(self.licence, self.total)

    @property
    def data_check_rate(self) -> Decimal | None:
        return share(self.data_check, self.total)

    @property
    def commitment_rate(self) -> Decimal | None:
        return share(self.commitment, self.total)

    @property
    def produced_rate(self) -> Decimal | None:
        return share(self.produced, self.total)


def _counts(prefix: str = "") -> dict[str, Count]:
    """Conditional counts of current material rows, one per channel (`prefix` reaches the
    rows from Application). Conditional aggregation rather than GROUP BY provision keeps one
    row per bundle, so the distinct application count comes out of the same query."""

    def q(**lookups: Any) -> Q:
        return Q(**{prefix + lookup: value for lookup, value in lookups.items()})

    def rows(condition: Q | None = None) -> Count:
        current = q(replaced_at__isnull=True)
        return Count(prefix + "pk", filter=current if condition is None else current & condition)

    return {
        "total": rows(),
        "licence": rows(q(provision=Provision.LICENCE)),
        "data_check": rows(
            q(provision=Provision.DATA_CHECK)
            & (q(check_passed=True) | q(check_passed__isnull=True))
        ),
        "commitment": rows(q(provision=Provision.COMMITMENT)),
        "produced": rows(q(provision=Provision.PRODUCED)),
    }


def application_paperless(application_id: int) -> PaperlessShare:
    """本次申请材料免提交 X/Y 份, in one query."""
    counts = ApplicationMaterial.objects.filter(application_id=application_id).aggregate(
        **_counts()
    )
    return PaperlessShare(applications=1, **counts)


def paperless_of_rows(rows: Iterable[ApplicationMaterial]) -> PaperlessShare:
    """`application_paperless` counted on the application's material rows a page has loaded
    already (every row, replaced ones included): the same rules as `_counts`, no query."""
    total = licence = data_check = commitment = produced = 0
    for row in rows:
        if row.replaced_at is not None:
            continue
        total += 1
        if row.provision == Provision.LICENCE:
            licence += 1
        elif row.provision == Provision.DATA_CHECK and row.check_passed is not False:
            data_check += 1
        elif row.provision == Provision.COMMITMENT:
            commitment += 1
        elif row.provision == Provision.PRODUCED:
            produced += 1
    return PaperlessShare(total, licence, data_check, commitment, produced, applications=1)


def _submitted(since: datetime.date | None, until: datetime.date | None) -> QuerySet[Application]:
    applications = Application.objects.exclude(status=ApplicationStatus.DRAFT)
    if since is not None:
        applications = applications.filter(submitted_at__date__gte=since)
    if until is not None:
        applications = applications.filter(submitted_at__date__lte=until)
    return applications


def bundle_paperless(
    bundle_codes: list[str] | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> dict[str, PaperlessShare]:
    """Per bundle code (all versions together), in one aggregate query; submission dates
    inclusive. Bundles asked for by code are always in the answer, empty when unused."""
    applications = _submitted(since, until).filter(bundle_version__isnull=False)
    if bundle_codes is not None:
        applications = applications.filter(plan_code__in=bundle_codes)
    rows = (
        applications.order_by()
        .values("plan_code")
        .annotate(applications=Count("pk", distinct=True), **_counts("materials__"))
    )
    found = {row.pop("plan_code"): PaperlessShare(**row) for row in rows}
    if bundle_codes is None:
        return found
    return {code: found.get(code, PaperlessShare()) for code in bundle_codes}


def catalog_paperless(
    since: datetime.date | None = None, until: datetime.date | None = None
) -> PaperlessShare:
    """Every submitted application, single items included, in one aggregate query."""
    counts = _submitted(since, until).aggregate(
        applications=Count("pk", distinct=True), **_counts("materials__")
    )
    return PaperlessShare(**counts)
