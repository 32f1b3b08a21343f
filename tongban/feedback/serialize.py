"""JSON shapes for the API. An anonymous rating never shows its rater to anyone but them."""

from __future__ import annotations

import datetime
from typing import Any

from tongban.core.models import User

from .models import Rating, Rectification
from .transitions import OPEN_STATES


def rating_dict(rating: Rating, viewer: User) -> dict[str, Any]:
    own = rating.rater_id == viewer.pk
    return {
        "id": rating.pk,
        "stage": rating.stage,
        "stage_label": rating.get_stage_display(),
        "level": rating.level,
        "level_label": rating.get_level_display(),
        "indicators": rating.indicators,
        "comment": rating.comment,
        "channel": rating.channel,
        "anonymous": rating.anonymous,
        "rater_name": "" if rating.anonymous and not own else rating.rater.full_name,
        "department": rating.department.name,
        "case_no": rating.case.case_no if rating.case else None,
        "application_number": rating.application.number,
        "re_level": rating.re_level,
        "created_at": rating.created_at.isoformat(),
    }


def rectification_dict(
    rectification: Rectification, viewer: User, today: datetime.date
) -> dict[str, Any]:
    return {
        "id": rectification.pk,
        "state": rectification.state,
        "state_label": rectification.get_state_display(),
        "department": rectification.department.name,
        "due_on": rectification.due_on.isoformat(),
        "due_provisional": rectification.due_provisional,
        "overdue": rectification.state in OPEN_STATES and rectification.due_on < today,
        "follow_up_method": rectification.follow_up_method,
        "follow_up_notes": rectification.follow_up_notes,
        "finding": rectification.finding,
        "fix": rectification.fix,
        "reply": rectification.reply,
        "appeal_reason": rectification.appeal_reason,
        "appeal_decision": rectification.appeal_decision,
        "rating": rating_dict(rectification.rating, viewer),
    }
