from django.core.management.base import BaseCommand, CommandError

from tasks.services import plan_import_run_execute


class Command(BaseCommand):
    help = "执行一条排队中的方案导入记录（与后台任务 plan_import_run_job 相同）。"

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)

    def handle(self, *args, run_id, **options):
        run = plan_import_run_execute(run_id=run_id)
        if run is None:
            raise CommandError(f"导入记录 {run_id} 不存在或不在排队中。")
        self.stdout.write(f"导入记录 {run_id}：{run.get_status_display()} {run.error}")
