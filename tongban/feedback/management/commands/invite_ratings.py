from typing import Any

from django.core.management.base import BaseCommand

from tongban.feedback.invitations import rating_invite_unrated


class Command(BaseCommand):
    help = (
        "智能邀评: invite every case stage left unrated for TONGBAN_RATING_INVITE_DAYS days "
        "(in the platform, and by SMS through `manage.py db_worker`). Run it daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        invitations = rating_invite_unrated()
        self.stdout.write(f"邀评：新增 {len(invitations)} 条")
