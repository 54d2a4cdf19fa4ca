"""The benchmark harness: database guard, arguments, measuring helpers and the report's verdicts.

No timing assertions: the figures below are made up, and the helpers are checked for what they
call and count, never for how fast.
"""

import json

import pytest

from reports.bench.database import BenchDatabaseError, bench_database_url
from reports.bench.figures import Measured, ScaleRun, Timing
from reports.bench.harness import main, parse_args
from reports.bench.measure import queries_per_call, task_rows_floor, time_in_turns
from reports.bench.report import (
    FAIL,
    PASS,
    PLAN_BROWSER,
    TASK_API,
    TASK_API_FLOOR,
    render_json,
    render_markdown,
    render_text,
    table_rows,
)
from tasks.models import Task

COUNTS = {"plans": 1, "tasks": 57, "units": 42, "assignments": 385, "indicators": 45, "history": 553}


def test_database_url_keeps_the_server_and_swaps_the_database():
    url = bench_database_url("postgres://u:p@db.example:6543/xixian?sslmode=require", "xixian_bench")
    assert url == "postgres://u:p@db.example:6543/xixian_bench?sslmode=require"


@pytest.mark.parametrize("url", [None, "", "sqlite:///var/db.sqlite3"])
def test_database_url_refuses_anything_but_postgresql(url):
    with pytest.raises(BenchDatabaseError, match="PostgreSQL"):
        bench_database_url(url, "xixian_bench")


def test_database_url_refuses_a_name_without_bench():
    with pytest.raises(BenchDatabaseError, match="bench"):
        bench_database_url("postgres://postgres@127.0.0.1/xixian_bench", "xixian")


def test_main_refuses_sqlite_with_a_message_and_exit_code_2(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/db.sqlite3")
    assert main([]) == 2
    assert "PostgreSQL" in capsys.readouterr().err


def test_arguments():
    args = parse_args(["--scales", "100,1,10,10", "--repeat", "7"])
    assert (args.scales, args.repeat, args.warmup, args.database) == ([1, 10, 100], 7, 5, "xixian_bench")
    with pytest.raises(SystemExit):
        parse_args(["--scales", "0,10"])


def test_calls_take_turns_after_the_warm_up():
    seen = []
    timings = time_in_turns({"a": lambda: seen.append("a"), "b": lambda: seen.append("b")}, repeat=3, warmup=2)
    assert seen == ["a", "b"] * 5
    assert [len(timings[name].samples) for name in "ab"] == [3, 3]


@pytest.mark.django_db
def test_queries_per_call_counts_every_query(plan):
    assert queries_per_call(lambda: (list(Task.objects.all()[:1]), Task.objects.count())) == 2


@pytest.mark.django_db
def test_floor_reads_the_rows_and_their_units_in_order(plan):
    tasks = list(Task.objects.filter(plan=plan).with_units().order_by("-sort_order")[:5])
    rows = json.loads(task_rows_floor([t.pk for t in tasks]))
    assert [row["code"] for row in rows] == [t.code for t in tasks]
    assert [row["lead_units"] for row in rows] == [[u.name for u in t.lead_units] for t in tasks]
    assert [row["supporting_units"] for row in rows] == [[u.name for u in t.supporting_units] for t in tasks]


def run(scale, *, page_ms, api_ms, floor_ms, page_queries=7, api_queries=5) -> ScaleRun:
    return ScaleRun(scale=scale, counts=COUNTS, growth_seconds=0.5, results={
        PLAN_BROWSER: Measured(queries=page_queries, timing=Timing([page_ms / 1000] * 3)),
        TASK_API: Measured(queries=api_queries, timing=Timing([api_ms / 1000] * 3)),
        TASK_API_FLOOR: Measured(queries=2, timing=Timing([floor_ms / 1000] * 3)),
    })


def verdicts(runs) -> dict[str, str]:
    return {row.label: row.verdict for row in table_rows(runs) if row.verdict}


def test_every_goal_met():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(100, page_ms=29, api_ms=14, floor_ms=4.5)]
    assert set(verdicts(runs).values()) == {PASS}


def test_each_missed_goal_is_marked():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=2), run(100, page_ms=31, api_ms=14, floor_ms=4, api_queries=6)]
    assert verdicts(runs) == {
        "方案浏览页 查询数/请求": PASS,
        "方案浏览页 时间比 ÷1×": FAIL,  # 31 / 20 > 1.5
        "任务 API 列表 查询数/请求": FAIL,  # 5 at 1×, 6 at 100×
        "任务 API 列表 时间比 ÷1×": PASS,
        "任务 API ÷ 下限": FAIL,  # 10 / 2 at 1×
    }


def test_more_than_ten_queries_fails_even_when_constant():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4, page_queries=11),
            run(10, page_ms=20, api_ms=10, floor_ms=4, page_queries=11)]
    assert verdicts(runs)["方案浏览页 查询数/请求"] == FAIL


def test_an_unavailable_endpoint_fails_and_is_explained():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(10, page_ms=20, api_ms=10, floor_ms=4)]
    runs[1].results[PLAN_BROWSER] = Measured(error="URL 名称 plan-detail 不存在")
    assert verdicts(runs)["方案浏览页 时间比 ÷1×"] == FAIL
    text = render_text("标题", [], runs, table_rows(runs))
    assert "10× 方案浏览页：URL 名称 plan-detail 不存在" in text


def test_renderings_carry_the_same_table():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(100, page_ms=22, api_ms=12, floor_ms=4)]
    rows = table_rows(runs)
    text = render_text("标题", ["说明"], runs, rows)
    markdown = render_markdown("标题", ["说明"], runs, rows)
    data = json.loads(render_json({"benchmark": "foundation"}, runs, rows))
    assert "任务 API ÷ 下限  " in text and "| 任务 API ÷ 下限 | 2.50 | 3.00 |" in markdown
    assert data["ratios"]["task_api_scale"] == pytest.approx([1.0, 1.2])
    assert data["scales"][1]["results"][TASK_API]["median_ms"] == pytest.approx(12)
