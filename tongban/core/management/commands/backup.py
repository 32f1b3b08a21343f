from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database, the stored files and (with --include-keys) the key files into "
        "one archive while the service runs. TARGET is a directory (a timestamped "
        "tongban-YYYYMMDD-HHMMSS.tar.gz is made in it) or a .tar / .tar.gz file name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="directory, or archive file name (.tar, .tar.gz)")
        parser.add_argument(
            "--include-keys",
            action="store_true",
            help="also archive the personal-data and licence-signing key files "
            "(the archive is then as secret as the keys; see docs/deploy.md)",
        )
        parser.add_argument(
            "--no-compress", action="store_true", help="a plain .tar when TARGET is a directory"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = create_backup(
                Path(options["target"]),
                include_keys=options["include_keys"],
                compress=not options["no_compress"],
                log=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        counts = "，".join(f"{name} {count}" for name, count in manifest["counts"].items())
        heads = "，".join(
            f"{chain} #{head['last_seq']} {head['last_hash'][:12]}…"
            for chain, head in manifest["audit_chain_heads"].items()
        )
        keys = manifest["keys"]["archived"]
        self.stdout.write(f"行数：{counts}")
        self.stdout.write(f"审计链头：{heads or '（无）'}")
        self.stdout.write(
            f"存储文件：{manifest['files']['count']} 个，{manifest['files']['bytes']} 字节；"
            f"密钥文件：{len(keys) if keys else '未包含（请另行备份密钥）'}"
        )
        self.stdout.write(self.style.SUCCESS(f"备份完成：{result.path}"))
