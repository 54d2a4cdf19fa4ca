"""manage.py tidy_report_files: the ten-minute job by hand — stuck ledger exports queued again,
expired exports and unsaved round-trip uploads deleted."""

from django.core.management.base import BaseCommand

from reports.services.exports import files_housekeeping


class Command(BaseCommand):
    help = "整理报表文件：重新排队卡住的台账导出，删除过期导出和未保存的 Excel 上传（与每 10 分钟的后台任务相同）"

    def handle(self, *args, **options):
        self.stdout.write(files_housekeeping())
