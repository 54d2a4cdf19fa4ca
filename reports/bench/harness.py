"""`make bench`: the foundation benchmark on PostgreSQL at 1×, 10× and 100× the real plan.

For each scale, smallest first, the harness grows its own database (``xixian_bench`` on the
server DATABASE_URL names, dropped and recreated at start) and measures:

- signed in as an office user, the plan browser (``plan-detail`` of the seed plan), the task
  API's first page and the review queue's first page (``review-queue``, reports awaiting
  review); signed in as a staff account of 新区行政审批与政务服务局, its reporting inbox
  (``reporting-inbox`` at the seed plan's last month): queries per request (at most 10, the
  same at every scale) and median / p90 wall time;
- the floor: the same API rows read with ``.values()`` and dumped to JSON;
- writes, through the services as that staff account: its first draft progress report of the
  seed plan's last month saved with new text (``report_save``), and the same report submitted
  then returned by the office (``filing_submit`` + ``filing_review``), each in a transaction
  rolled back: queries per call (the same at every scale) and time, the largest scale's at
  most 1.2× the smallest's. Nothing in a report's save may grow with the plan and its history.

A query count that changes with the scale is explained under the table: the queries that the
larger scale runs more often, by shape.

It prints one table (ratios between scales and against the floor, each with ✓ or ✗) and
writes it to ``var/bench/foundation-<time>.md`` and ``.json``. A missed goal is reported, not
raised: the exit code is 0 unless the benchmark could not run at all.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

from reports.bench.database import BenchDatabaseError, bench_database_url, database_recreate

DEFAULT_DATABASE = "xixian_bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reports.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=_scales, default=[1, 10, 100], help="规模倍数，逗号分隔（默认 1,10,100）")
    parser.add_argument("--repeat", type=_positive, default=30, help="每个规模每项计时的请求次数（默认 30）")
    parser.add_argument("--warmup", type=_positive, default=5, help="计时前的预热请求次数（默认 5）")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="基准测试数据库名（会被删除重建）")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("必须是正整数")
    return value


def _scales(text: str) -> list[int]:
    try:
        scales = sorted({_positive(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"规模应为逗号分隔的正整数，收到 {text!r}") from None
    if not scales:
        raise argparse.ArgumentTypeError("至少需要一个规模")
    return scales


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        url = bench_database_url(os.environ.get("DATABASE_URL"), args.database)
        server_version = database_recreate(url)
    except BenchDatabaseError as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        return 2
    _django_setup(url)
    from reports.bench.runner import scales_run  # needs Django set up

    started, commit = datetime.now().astimezone(), _git_commit()  # the code measured, not what HEAD became since
    runs = scales_run(scales=args.scales, repeat=args.repeat, warmup=args.warmup)
    meta = _meta(args, server_version, started, commit)
    _report_write(meta, runs)
    return 0


def _django_setup(url: str) -> None:
    """Point the settings at the benchmark database, set up Django and migrate."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xixian_portal.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    # Static files are not measured; whitenoise warns that none were collected.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    # Settings are read with DEBUG on (development defaults for keys and hosts), then requests
    # run as in production: no query log, no template debug information.
    settings.DEBUG = False
    call_command("migrate", interactive=False, verbosity=0)


def _meta(args: argparse.Namespace, server_version: str, started: datetime, commit: str) -> dict:
    import django

    return {
        "benchmark": "foundation",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        "postgresql": server_version,
        "database": args.database,
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "scales": args.scales,
        "repeat": args.repeat,
        "warmup": args.warmup,
    }


def _git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def _report_write(meta: dict, runs: list) -> None:
    from django.conf import settings

    from reports.bench.report import render_json, render_markdown, render_text, table_rows

    rows = table_rows(runs)
    title = f"西咸门户基准测试 foundation · PostgreSQL {meta['postgresql']}"
    notes = [
        f"{meta['started']}，提交 {meta['commit']}，Python {meta['python']}，Django {meta['django']}，"
        f"{meta['cpus']} 核，负载 {' / '.join(map(str, meta['load_average']))}",
        f"每项 {meta['repeat']} 次请求取中位数与 p90（先预热 {meta['warmup']} 次），各项轮流计时；"
        "所有数字来自同一次运行",
        "营商办用户；方案浏览页 = plan-detail（种子方案）；任务 API = /api/v1/tasks/ 第一页；"
        "下限 = 同一页的行以 .values() 读取并 json.dumps",
        "审核队列 = review-queue 第一页（营商办，待审核）；填报任务页 = reporting-inbox?period=种子方案最后一个月"
        "（新区行政审批与政务服务局填报员；当前月不在任何方案年度内）",
        "填报保存 = 该填报员以 report_save 保存种子方案最后一个月的第一份进展填报草稿（每次新的文字）；"
        "填报提交+退回 = 同一份填报 filing_submit 后由营商办 filing_review 退回；"
        "每次调用在一个随后回滚的事务中（不含提交的落盘）",
        "每个方案 36 个月的进展填报、审核记录、指标实际值与配合情况；当前月有待审核的进展填报",
        "任务台账内存 = tracemalloc 峰值减去开始时已分配：连续两次导出中的第二次（目标据此判断）；"
        "完全回收后的第一次导出另列作参考（含解释器空闲链表的回填）",
    ]
    print(render_text(title, notes, runs, rows))
    directory = Path(settings.VAR_DIR) / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"foundation-{time.strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".md").write_text(render_markdown(title, notes, runs, rows), encoding="utf-8")
    stem.with_suffix(".json").write_text(render_json(meta, runs, rows), encoding="utf-8")
    print(f"已写入 {stem}.md 与 {stem}.json")
