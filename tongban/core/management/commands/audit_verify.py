from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.audit import verify_audit_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_audit_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {report.checked} 条事件"))
            return
        for problem in report.breaks:
            self.stderr.write(
                f"审计链断裂：链 {problem.chain} 第 {problem.seq} 条：{problem.problem}"
            )
        raise CommandError(f"审计链校验失败（{len(report.breaks)} 处断裂）")
