"""The 好差评 panel of the applicant's application page (cases/citizen/mine_detail.html):
the invitations to rate what is ratable now, and the ratings already made with the
department's answer and the 二次评价 form. Two queries, whatever the number of cases."""

from __future__ import annotations

from typing import Any

from django import template

from tongban.cases.models import Application, Case

from ..enums import RectificationState
from ..forms import ReRateForm
from ..queries import application_ratings, pending_ratings
from ..views_rater import STAGE_INVITATION

register = template.Library()


@register.inclusion_tag("feedback/partials/application_panel.html", takes_context=True)
def rating_panel(context: template.Context, application: Application) -> dict[str, Any]:
    # The page has the cases already (as case views); reuse them rather than query again.
    cases: list[Case] = [cv.case for cv in context.get("cases") or []]
    pending = pending_ratings(application, cases)
    ratings = application_ratings(application)
    return {
        "application": application,
        "invitations": [
            {"case": case, "stage": stage, "label": STAGE_INVITATION[stage]}  # type: ignore[index]
            for case, stage in pending
        ],
        "ratings": ratings,
        "replied": RectificationState.REPLIED,
        "re_rate_form": ReRateForm(),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
