"""Measured 免提交: the share of materials applicants did not hand in, per application, per
bundle and catalog-wide — counted on current material rows of submitted applications."""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases.enums import ApplicationStatus, Channel, Provision
from tongban.cases.models import Application, ApplicationMaterial
from tongban.cases.paperless import (
    PaperlessShare,
    application_paperless,
    bundle_paperless,
    catalog_paperless,
)
from tongban.catalog.models import BundleVersion, ServiceItem
from tongban.core.models import User

from .case_helpers import approver_of, import_case_catalog, shanghai, submit

Persona = Callable[[str], User]
DEFER, REUSE, CHAIN = "defer-test", "licence-reuse-test", "chain-test"
_numbers = itertools.count(1)

# One row per way of providing a material; the comment says whether it counts as paperless.
MIXED: list[tuple[Provision, bool | None]] = [
    (Provision.UPLOAD, None),  # submitted
    (Provision.PAPER, None),  # submitted
    (Provision.DEFERRED, None),  # submitted (later)
    (Provision.NOT_PROVIDED, None),  # submitted (nothing, but not paperless either)
    (Provision.LICENCE, None),  # paperless: e-licence
    (Provision.DATA_CHECK, True),  # paperless: the register said yes
    (Provision.DATA_CHECK, None),  # paperless: a department checks the register by hand
    (Provision.DATA_CHECK, False),  # submitted: the register said no
    (Provision.COMMITMENT, None),  # paperless: commitment
    (Provision.PRODUCED, None),  # paperless: upstream result inside the bundle
]


@pytest.fixture
def catalog(demo: None) -> None:
    import_case_catalog(DEFER, REUSE, CHAIN, "TNATURAL01")


def make_application(
    *,
    bundle: str | None = None,
    item: str | None = None,
    rows: Sequence[tuple[Provision, bool | None]] = (),
    draft: bool = False,
    submitted_at: datetime.datetime | None = None,
) -> Application:
    """An application with exactly the given current material rows, written directly."""
    application = Application.objects.create(
        number=None if draft else f"TEST{next(_numbers):06d}",
        status=ApplicationStatus.DRAFT if draft else ApplicationStatus.SUBMITTED,
        bundle_version=(
            BundleVersion.objects.filter(bundle__code=bundle).first() if bundle else None
        ),
        item=ServiceItem.objects.get(code=item) if item else None,
        plan_code=bundle or item or "",
        plan_name="测试",
        channel=Channel.WEB,
        created_by=User.objects.get(username="citizen"),
        submitted_at=None if draft else (submitted_at or timezone.now()),
    )
    ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(
            application=application,
            key=f"m{n}",
            name=f"材料{n}",
            necessity="必须",
            provision=provision,
            check_passed=passed,
        )
        for n, (provision, passed) in enumerate(rows)
    )
    return application


def replace(application: Application, key: str, provision: Provision) -> None:
    """A supplement: the old row becomes history, a new current row takes its key."""
    old = application.materials.get(key=key, replaced_at__isnull=True)
    old.replaced_at = timezone.now()
    old.save(update_fields=["replaced_at"])
    ApplicationMaterial.objects.create(
        application=application, key=key, name=old.name, necessity="必须", provision=provision
    )


# --------------------------------------------------------------------------- the share


def test_share_derives_paperless_submitted_and_rates() -> None:
    figures = PaperlessShare(total=8, licence=2, data_check=1, commitment=1, produced=0)
    assert figures.without_paper == 4
    assert figures.submitted == 4
    assert figures.rate == Decimal("50.0")
    assert figures.licence_rate == Decimal("25.0")
    assert figures.data_check_rate == Decimal("12.5")
    assert figures.commitment_rate == Decimal("12.5")
    assert figures.produced_rate == Decimal("0.0")
    empty = PaperlessShare()
    assert empty.rate is None
    assert empty.licence_rate is None


@pytest.mark.django_db
def test_one_application_counts_current_rows_in_one_query(
    catalog: None, django_assert_num_queries: Any
) -> None:
    application = make_application(bundle=DEFER, rows=MIXED)
    # m4 was an e-licence that a supplement replaced by an upload: the old row is history.
    replace(application, "m4", Provision.UPLOAD)
    with django_assert_num_queries(1):
        figures = application_paperless(application.pk)
    # Current rows 10; paperless: data check ×2 (yes, by hand), commitment, produced = 4.
    assert figures == PaperlessShare(
        total=10, licence=0, data_check=2, commitment=1, produced=1, applications=1
    )
    assert figures.submitted == 6
    assert figures.rate == Decimal("40.0")
    assert figures.data_check_rate == Decimal("20.0")


@pytest.mark.django_db
def test_a_failed_data_check_is_not_paperless(catalog: None) -> None:
    application = make_application(
        bundle=DEFER, rows=[(Provision.DATA_CHECK, False), (Provision.DATA_CHECK, True)]
    )
    figures = application_paperless(application.pk)
    assert (figures.data_check, figures.without_paper, figures.total) == (1, 1, 2)
    assert figures.rate == Decimal("50.0")


# --------------------------------------------------------------------------- per bundle


@pytest.mark.django_db
def test_bundle_shares_in_one_query_without_drafts_or_history(
    catalog: None, django_assert_num_queries: Any
) -> None:
    make_application(bundle=DEFER, rows=MIXED)  # 10 rows, 5 paperless
    second = make_application(
        bundle=DEFER, rows=[(Provision.LICENCE, None), (Provision.UPLOAD, None)]
    )
    replace(second, "m0", Provision.PAPER)  # 2 rows, 0 paperless now
    make_application(bundle=DEFER, rows=[], submitted_at=timezone.now())  # no materials
    make_application(bundle=DEFER, rows=[(Provision.LICENCE, None)] * 3, draft=True)
    make_application(bundle=REUSE, rows=[(Provision.LICENCE, None), (Provision.UPLOAD, None)])
    make_application(item="TNATURAL01", rows=[(Provision.COMMITMENT, None)])

    with django_assert_num_queries(1):
        shares = bundle_paperless([DEFER, REUSE, CHAIN])

    # DEFER: 3 applications, 12 current rows, paperless 1+2+1+1 = 5 → 41.7 %.
    assert shares[DEFER] == PaperlessShare(
        total=12, licence=1, data_check=2, commitment=1, produced=1, applications=3
    )
    assert shares[DEFER].rate == Decimal("41.7")
    assert shares[DEFER].licence_rate == Decimal("8.3")
    assert shares[DEFER].data_check_rate == Decimal("16.7")
    assert shares[REUSE] == PaperlessShare(total=2, licence=1, applications=1)
    assert shares[REUSE].rate == Decimal("50.0")
    assert shares[CHAIN] == PaperlessShare()  # asked for, never applied for
    assert shares[CHAIN].rate is None

    # Without codes: only bundles that have applications; single items are not bundles.
    assert set(bundle_paperless()) == {DEFER, REUSE}
    # Catalog-wide: every submitted application, the single item included.
    overall = catalog_paperless()
    assert (overall.applications, overall.total, overall.without_paper) == (5, 15, 7)
    assert overall.rate == Decimal("46.7")


@pytest.mark.django_db
def test_bundle_shares_by_submission_date(catalog: None) -> None:
    make_application(
        bundle=DEFER, rows=[(Provision.LICENCE, None)], submitted_at=shanghai(2026, 6, 1)
    )
    make_application(
        bundle=DEFER, rows=[(Provision.UPLOAD, None)], submitted_at=shanghai(2026, 6, 3)
    )
    june = datetime.date(2026, 6, 1)
    assert bundle_paperless([DEFER], since=june, until=june)[DEFER].licence == 1
    assert bundle_paperless([DEFER], since=june, until=june)[DEFER].total == 1
    later = bundle_paperless([DEFER], since=datetime.date(2026, 6, 2))[DEFER]
    assert (later.applications, later.total, later.without_paper) == (1, 1, 0)
    assert bundle_paperless([DEFER], until=datetime.date(2026, 5, 31))[DEFER] == PaperlessShare()


# --------------------------------------------------------------------------- where it is shown


def measured_text(client: Client, code: str) -> str:
    page = client.get(f"/catalog/bundles/{code}/").content.decode()
    block = page[page.index('data-testid="bundle-measured"') :]
    return re.sub(r"<[^>]+>|\s+", "", block[block.index(">") + 1 : block.index("</p>")])


@pytest.mark.django_db
def test_bundle_page_shows_the_measured_share_beside_the_plan(
    catalog: None, client: Client
) -> None:
    assert measured_text(client, DEFER).endswith("实测暂无申请")
    make_application(bundle=DEFER, rows=MIXED)
    make_application(bundle=DEFER, rows=[(Provision.UPLOAD, None), (Provision.PAPER, None)])
    # 12 rows: licence 1, data check 2, commitment 1, produced 1 → 5/12.
    assert measured_text(client, DEFER) == (
        "实测共收到2件申请，材料免提交率41.7%（电子证照8.3%、数据核验16.7%、告知承诺8.3%、前置结果8.3%）"
    )
    assert "暂无申请" in measured_text(client, REUSE)


@pytest.mark.django_db
def test_metrics_page_has_a_measured_column_and_overall(catalog: None, client: Client) -> None:
    make_application(bundle=REUSE, rows=[(Provision.LICENCE, None), (Provision.UPLOAD, None)])
    make_application(item="TNATURAL01", rows=[(Provision.UPLOAD, None)] * 2)
    page = client.get("/catalog/metrics/").content.decode()
    cell = page[page.index(f'data-testid="measured-{REUSE}"') :]
    assert re.sub(r"<[^>]+>|\s+", "", cell[cell.index(">") + 1 : cell.index("</td>")]) == (
        "50.0%（1件）"
    )
    cell = page[page.index(f'data-testid="measured-{DEFER}"') :]
    assert "暂无申请" in cell[: cell.index("</td>")]
    card = page[page.index('data-testid="catalog-measured"') :]
    card = card[card.index(">") + 1 : card.index("</div></div>", card.index("件申请"))]
    card = re.sub(r"<[^>]+>|\s+", "", card)
    assert card == "材料免提交率（实测）25.0%2件申请，1/4份"


@pytest.mark.django_db
def test_api_bundle_metrics_has_measured_figures(catalog: None, client: Client) -> None:
    empty = client.get(f"/api/v1/catalog/bundles/{DEFER}/metrics").json()["measured"]
    assert empty["applications"] == 0
    assert empty["paperless_rate"] is None
    make_application(bundle=DEFER, rows=MIXED)
    measured = client.get(f"/api/v1/catalog/bundles/{DEFER}/metrics").json()["measured"]
    assert measured == {
        "applications": 1,
        "materials": 10,
        "without_paper": 5,
        "submitted": 5,
        "licence": 1,
        "data_check": 2,
        "commitment": 1,
        "produced": 1,
        "paperless_rate": 50.0,
        "licence_rate": 10.0,
        "data_check_rate": 20.0,
        "commitment_rate": 10.0,
        "produced_rate": 10.0,
    }


@pytest.mark.django_db
def test_application_pages_show_x_of_y_for_a_real_submission(
    catalog: None, persona: Persona, logged_in: Callable[[str], Client]
) -> None:
    application = submit(persona("citizen"), bundle=DEFER)
    rows = list(application.materials.filter(replaced_at__isnull=True))
    # Make two of the submitted rows paperless, so the page cannot pass by showing 0/N.
    ApplicationMaterial.objects.filter(pk=rows[0].pk).update(provision=Provision.COMMITMENT)
    extra = [
        ApplicationMaterial(
            application=application,
            key="tc_checked",
            name="核验",
            necessity="必须",
            provision=Provision.DATA_CHECK,
            check_passed=None,
        ),
        ApplicationMaterial(
            application=application,
            key="tc_refused",
            name="核验不通过",
            necessity="必须",
            provision=Provision.DATA_CHECK,
            check_passed=False,
        ),
    ]
    ApplicationMaterial.objects.bulk_create(extra)
    expected = f"本次申请材料免提交 2/{len(rows) + 2} 份"

    def shown(page: str) -> str:
        block = page[page.index('data-testid="application-paperless"') :]
        return block[block.index(">") + 1 : block.index("</")].strip()

    citizen = logged_in("citizen").get(f"/cases/mine/{application.number}/")
    assert shown(citizen.content.decode()) == expected
    case = application.cases.order_by("pk").first()
    assert case is not None
    staff = logged_in(approver_of(case).username).get(f"/cases/staff/case/{case.case_no}/")
    assert staff.status_code == 200
    assert shown(staff.content.decode()) == expected
