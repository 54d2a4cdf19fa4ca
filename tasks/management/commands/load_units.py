from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tasks.services import unit_directory_load


class Command(BaseCommand):
    help = "加载（或更新）单位目录及其别名。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.UNIT_DIRECTORY_PATH))

    def handle(self, *args, path, **options):
        count = unit_directory_load(path=Path(path))
        self.stdout.write(self.style.SUCCESS(f"单位目录已加载：{count} 个单位。"))
