"""智能邀评: a stage left unrated for `TONGBAN_RATING_INVITE_DAYS` days is invited once —
in the platform, and by SMS from a background task (Bozhou sends its SMS 3 days after 办结;
shared/reference/domain-china.md §4).

Only the case's latest ratable stage is invited: a decided case is asked about 办结, not
also about 受理. A deployment runs `manage.py invite_ratings` daily (cron or a timer);
`manage.py db_worker` sends the messages.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tongban.cases.models import Case
from tongban.core.audit import record_event
from tongban.core.sms import SmsFailed, gateway

from .actions import RATABLE_AT_COMPLETION
from .enums import Stage
from .models import Rating, RatingInvitation

# Stages older than this are not invited when the sweep first runs (or after an outage):
# a message about a service from months ago is noise, not an invitation.
LOOKBACK_DAYS = 30


def _unasked(cases: QuerySet[Case], stage: str) -> QuerySet[Case]:
    rated = Rating.objects.filter(case=OuterRef("pk"), stage=stage)
    invited = RatingInvitation.objects.filter(case=OuterRef("pk"), stage=stage)
    return cases.filter(~Exists(rated), ~Exists(invited), applicant_user__isnull=False)


def cases_to_invite(today: datetime.date) -> list[tuple[Case, str]]:
    """(case, stage) pairs whose stage ended on [today − days − lookback, today − days]."""
    last = today - datetime.timedelta(days=settings.TONGBAN_RATING_INVITE_DAYS)
    first = last - datetime.timedelta(days=LOOKBACK_DAYS)
    decided = _unasked(
        Case.objects.filter(
            state__in=RATABLE_AT_COMPLETION,
            decided_at__date__gte=first,
            decided_at__date__lte=last,
        ),
        Stage.COMPLETE,
    )
    accepted = _unasked(
        Case.objects.filter(accepted_on__gte=first, accepted_on__lte=last).exclude(
            state__in=RATABLE_AT_COMPLETION
        ),
        Stage.ACCEPT,
    )
    return [(case, str(Stage.COMPLETE)) for case in decided.order_by("pk")] + [
        (case, str(Stage.ACCEPT)) for case in accepted.order_by("pk")
    ]


@transaction.atomic
def rating_invite_unrated(today: datetime.date | None = None) -> list[RatingInvitation]:
    """Invite every stage due for an invitation; each SMS is queued once this commits."""
    today = today or timezone.localdate()
    invitations = []
    for case, stage in cases_to_invite(today):
        assert case.applicant_user_id is not None  # filtered in _unasked
        invitation = RatingInvitation.objects.create(
            case=case, stage=stage, invitee_id=case.applicant_user_id
        )
        record_event(
            action="rating.invite",
            object_type="case",
            object_id=case.case_no,
            after={"stage": stage, "invitation": invitation.pk},
        )
        invitations.append(invitation)
    for invitation in invitations:
        transaction.on_commit(
            lambda pk=invitation.pk: send_rating_invitation.enqueue(pk)  # type: ignore[misc]
        )
    return invitations


def invitation_text(invitation: RatingInvitation) -> str:
    case = invitation.case
    done = "已办结" if invitation.stage == Stage.COMPLETE else "已受理"
    path = reverse("cases:mine_detail", args=[case.application.number])
    link = f"{settings.TONGBAN_PUBLIC_URL}{path}"
    return (
        f"【通办】您申请的“{case.item_name}”（办件编号{case.case_no}）{done}。"
        f"欢迎对本次服务作出评价：{link}"
    )


@task()
def send_rating_invitation(invitation_id: int) -> str:
    """Send one invitation's SMS; a message is sent at most once, whatever the retries."""
    with transaction.atomic():
        invitation = (
            RatingInvitation.objects.select_for_update(of=("self",))
            .select_related("case", "case__application", "invitee")
            .get(pk=invitation_id)
        )
        if invitation.sms != RatingInvitation.Sms.PENDING:
            return invitation.sms
        phone = invitation.case.application.applicant_phone or invitation.invitee.phone
        fields = ["sms"]
        if not phone:
            invitation.sms = RatingInvitation.Sms.NO_PHONE
        else:
            try:
                invitation.sms_reference = gateway().send(phone, invitation_text(invitation))
            except SmsFailed as failure:
                invitation.sms = RatingInvitation.Sms.FAILED
                invitation.sms_error = str(failure)[:200]
                fields.append("sms_error")
            else:
                invitation.sms = RatingInvitation.Sms.SENT
                invitation.sms_sent_at = timezone.now()
                fields += ["sms_reference", "sms_sent_at"]
        invitation.save(update_fields=fields)
        return invitation.sms


def open_invitations(user_id: int) -> QuerySet[RatingInvitation]:
    """The user's invitations whose stage is still unrated: what their home page lists."""
    rated = Rating.objects.filter(case=OuterRef("case"), stage=OuterRef("stage"))
    return (
        RatingInvitation.objects.filter(invitee_id=user_id)
        .filter(~Exists(rated))
        .select_related("case", "case__application")
    )
