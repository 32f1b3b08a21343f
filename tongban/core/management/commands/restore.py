from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.backup import BackupError
from tongban.core.backup_restore import restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup` into the database of DATABASE_URL and "
        "the storage directory, run migrate, and verify counts, audit chain heads, the audit "
        "chain, the material files and the keys against the archive's manifest. Exits "
        "non-zero on any mismatch. Stop the web, worker and fold processes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="a .tar or .tar.gz made by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that has data and files or keys that differ",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_backup(
                Path(options["archive"]), force=options["force"], log=self.stdout.write
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"备份时间：{report.manifest['created_at']}")
        for check in report.checks:
            if check.ok:
                self.stdout.write(f"  一致  {check.name}：{check.actual}")
            else:
                self.stderr.write(
                    f"  不符  {check.name}：备份为 {check.expected}，恢复后为 {check.actual}"
                )
        for note in report.notes:
            self.stdout.write(f"  说明  {note}")
        failed = [check for check in report.checks if not check.ok]
        if failed:
            raise CommandError(f"恢复结果校验失败（{len(failed)} 项不符）")
        self.stdout.write(self.style.SUCCESS(f"恢复完成，{len(report.checks)} 项校验全部一致"))
