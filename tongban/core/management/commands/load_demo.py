from typing import Any

from django.core.management.base import BaseCommand

from tongban.core.demo import DEMO_PASSWORD, demo_accounts, load_demo_data
from tongban.core.models import Role


class Command(BaseCommand):
    help = (
        "Load the demo regions, departments, accounts, holiday calendar and catalog (idempotent)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo_data()
        if report.changed:
            self.stdout.write(
                f"演示数据已载入：新建 {report.created} 条，更新 {report.updated} 条，"
                f"工作日历 {report.calendar_years} 个年度"
            )
        else:
            self.stdout.write("演示数据已是最新，无需更改")
        # Imported here: the catalog app depends on core, not the other way round.
        from tongban.catalog.demo import load_demo_catalog

        catalog = load_demo_catalog()
        self.stdout.write(
            f"演示事项目录：新增 {catalog.count('added')}，修改 {catalog.count('changed')}，"
            f"不变 {catalog.count('unchanged')}"
        )
        from tongban.licences.demo import load_demo_licence_types
        from tongban.licences.records import licence_keyring

        created = load_demo_licence_types()
        ring = licence_keyring()  # the demo's first signing key, made once
        self.stdout.write(
            f"演示证照类型：新增 {created}；证照签名密钥 {ring.active_signer().key_id}"
        )
        from tongban.registers.demo import load_demo_registers

        self.stdout.write(f"演示共享库（数据核验）：新增 {load_demo_registers()} 条记录")
        from tongban.tickets.demo import load_demo_dispatch_rules

        self.stdout.write(f"12345派单目录：更新 {load_demo_dispatch_rules()} 条规则")
        from tongban.guide.demo import load_demo_synonyms

        self.stdout.write(f"智能导办同义词：更新 {load_demo_synonyms()} 条")
        if options["quiet_logins"]:
            return
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for account in demo_accounts():
            label = Role(account.role).label
            self.stdout.write(f"  {account.username:<28} {label:<12} {account.full_name}")
