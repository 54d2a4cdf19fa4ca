from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.ledgers import plan_ledger_xlsx
from reports.selectors.ledgers import office_scope_user
from tasks.models import ActionPlan
from tasks.selectors import plan_current, plan_list


class Command(BaseCommand):
    help = "导出行动方案的任务分工表（Excel）；不带 --plan 时导出最新的方案。导出全部任务（营商办视角）。"

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="输出文件路径，如 任务分工表.xlsx")
        parser.add_argument("--plan", type=int, help="行动方案编号（ID）；默认最新的方案。")

    def handle(self, *args, output, plan, **options):
        user = office_scope_user()
        action_plan = self._plan(user, plan)
        content, count = plan_ledger_xlsx(user=user, plan=action_plan)
        path = Path(output)
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"无法写入 {path}：{exc.strerror or exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"已导出「{action_plan.title}」任务分工表：{count} 项任务 → {path}"
        ))

    def _plan(self, user, plan_id: int | None) -> ActionPlan:
        if plan_id is None:
            found = plan_current(user=user)
            if found is None:
                raise CommandError("尚未导入任何行动方案，无法导出任务分工表。请先运行 import_plan 导入方案。")
            return found
        found = plan_list(user=user).filter(pk=plan_id).first()
        if found is None:
            raise CommandError(f"找不到编号为 {plan_id} 的行动方案。")
        return found
