"""智能邀评: a stage left unrated for the configured days is invited once, the SMS goes out
through the database task queue (run by the real `db_worker`), and a rated stage is not
invited nor listed."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from tongban.cases.models import Case
from tongban.core.models import AuditEvent, User
from tongban.core.sms import SmsFailed
from tongban.feedback.actions import rating_submit
from tongban.feedback.invitations import open_invitations, rating_invite_unrated
from tongban.feedback.models import RatingInvitation

from .case_helpers import accept, approve_through, import_case_catalog, shanghai, submit

Persona = Callable[[str], User]
ITEM = "TREVIEW01"
pytestmark = pytest.mark.usefixtures("calendar")


class RefusingGateway:
    def send(self, phone: str, text: str) -> str:
        raise SmsFailed("号码已停机")


@pytest.fixture
def cases(demo: None, persona: Persona) -> dict[str, Case]:
    """On Mon 28 Sep 2026: one case decided, one only accepted, one decided and rated."""
    import_case_catalog(ITEM)
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 9, 28), tick=False):
        decided = submit(citizen, item=ITEM).cases.get()
        approve_through(decided.case_no)
        accepted = submit(citizen, item=ITEM).cases.get()
        accept(accepted.case_no)
        rated = submit(citizen, item=ITEM).cases.get()
        approve_through(rated.case_no)
        rating_submit(citizen, stage="complete", case_no=rated.case_no, level=5, channel="web")
    return {"decided": decided, "accepted": accepted, "rated": rated}


def _invited() -> set[tuple[str, str]]:
    return set(RatingInvitation.objects.values_list("case__case_no", "stage"))


def test_each_unrated_stage_is_invited_once_after_the_set_days(
    cases: dict[str, Case], settings: Any
) -> None:
    assert rating_invite_unrated(datetime.date(2026, 9, 30)) == []  # 2 days: too early
    invited = rating_invite_unrated(datetime.date(2026, 10, 1))
    assert _invited() == {
        (cases["decided"].case_no, "complete"),  # not also 受理: only the latest stage
        (cases["accepted"].case_no, "accept"),
    }
    assert {i.invitee.username for i in invited} == {"citizen"}
    assert AuditEvent.objects.filter(action="rating.invite").count() == 2
    assert rating_invite_unrated(datetime.date(2026, 10, 2)) == []  # never twice

    settings.TONGBAN_RATING_INVITE_DAYS = 1
    RatingInvitation.objects.all().delete()
    # 28 Sep + 1 day + the 30-day look-back ends on 29 Oct: later sweeps leave it alone.
    assert len(rating_invite_unrated(datetime.date(2026, 10, 29))) == 2
    RatingInvitation.objects.all().delete()
    assert rating_invite_unrated(datetime.date(2026, 10, 30)) == []


# The worker closes the connection between tasks, as in production: real transactions here.
@pytest.mark.django_db(transaction=True)
def test_the_sms_goes_out_through_the_task_queue(
    cases: dict[str, Case], caplog: pytest.LogCaptureFixture
) -> None:
    rating_invite_unrated(datetime.date(2026, 10, 1))  # queues each SMS when it commits
    assert set(RatingInvitation.objects.values_list("sms", flat=True)) == {"pending"}
    with caplog.at_level(logging.INFO, logger="tongban.core.sms"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    sent = RatingInvitation.objects.get(case=cases["decided"])
    assert sent.sms == "sent"
    assert sent.sms_reference
    assert sent.sms_sent_at
    message = next(r.getMessage() for r in caplog.records if sent.sms_reference in r.getMessage())
    assert cases["decided"].case_no in message
    assert f"/cases/mine/{cases['decided'].application.number}/" in message
    assert "已办结" in message
    phone = cases["decided"].application.applicant_phone
    assert phone
    assert phone not in message


@pytest.mark.django_db(transaction=True)
def test_a_refused_sms_is_recorded_not_retried_forever(
    cases: dict[str, Case], settings: Any
) -> None:
    settings.TONGBAN_SMS_GATEWAY = f"{__name__}.RefusingGateway"
    rating_invite_unrated(datetime.date(2026, 10, 1))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert set(RatingInvitation.objects.values_list("sms", "sms_error")) == {
        ("failed", "号码已停机")
    }


def test_the_home_list_drops_an_invitation_once_rated(
    cases: dict[str, Case], persona: Persona
) -> None:
    citizen = persona("citizen")
    rating_invite_unrated(datetime.date(2026, 10, 1))
    assert {i.case.case_no for i in open_invitations(citizen.pk)} == {
        cases["decided"].case_no,
        cases["accepted"].case_no,
    }
    with time_machine.travel(shanghai(2026, 10, 9), tick=False):
        rating_submit(
            citizen, stage="complete", case_no=cases["decided"].case_no, level=4, channel="sms"
        )
    assert [i.case.case_no for i in open_invitations(citizen.pk)] == [cases["accepted"].case_no]
    assert not open_invitations(persona("company").pk).exists()


def test_the_home_page_invites(cases: dict[str, Case], logged_in: Callable[[str], Any]) -> None:
    rating_invite_unrated(datetime.date(2026, 10, 1))
    page = logged_in("citizen").get("/", follow=True).content.decode()
    decided = cases["decided"].case_no
    assert f'data-testid="invitation-{decided}"' in page
    assert f"/feedback/rate/{decided}/complete/" in page
    assert f'data-testid="invitation-{cases["rated"].case_no}"' not in page
