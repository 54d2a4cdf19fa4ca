import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tasks.plan_text import PlanTextError, read_plan_file
from tasks.services import PlanImportError, plan_import
from tasks.unit_directory import Resolution

ROLE_LABELS = {"lead": "牵头", "supporting": "配合"}


class Command(BaseCommand):
    help = "从官方文本（UTF-8 .txt 或 .docx）导入行动方案；不带路径时导入内置的 2020—2022 年方案。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.SEED_PLAN_PATH))
        parser.add_argument("--indicators", help="指标 JSON 文件；导入内置方案时默认使用内置指标。")
        parser.add_argument("--dry-run", action="store_true", help="只打印单位识别表，不写入数据库。")

    def handle(self, *args, path, indicators, dry_run, **options):
        path = Path(path)
        if indicators is None and path.resolve() == Path(settings.SEED_PLAN_PATH).resolve():
            indicators = str(settings.SEED_INDICATORS_PATH)
        rows = json.loads(Path(indicators).read_text(encoding="utf-8"))["indicators"] if indicators else []
        try:
            report = plan_import(text=read_plan_file(path), indicators=rows, dry_run=dry_run)
        except PlanImportError as exc:
            self._print_table(exc.resolutions)
            raise CommandError(f"导入失败，未写入任何数据。{exc}") from exc
        except PlanTextError as exc:
            raise CommandError(f"导入失败，未写入任何数据。{exc}") from exc
        if dry_run:
            self._print_table(report.resolutions)
            self.stdout.write(f"试运行：{report.parsed.title}，{sum(1 for _ in report.parsed.all_tasks())} 项任务，未写入。")
            return
        for change in report.changes:
            self.stdout.write(f"  {change}")
        summary = f"{len(report.changes)} 处变更" if report.changes else "内容未变化"
        self.stdout.write(self.style.SUCCESS(f"已导入「{report.plan.title}」：{summary}。"))

    def _print_table(self, resolutions: list[Resolution]) -> None:
        self.stdout.write("任务\t行\t角色\t原文写法\t识别方式\t目录单位")
        for r in resolutions:
            units = "、".join(u.name for u in r.units) or "—"
            self.stdout.write(f"{r.code}\t{r.line}\t{ROLE_LABELS[r.role]}\t{r.source_name}\t{r.rule}\t{units}")
