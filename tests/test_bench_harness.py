"""The benchmark harness: database guard, arguments, measuring helpers and the report's verdicts.

No timing assertions: the figures below are made up, and the helpers are checked for what they
call and count, never for how fast.
"""

import json

import pytest

from reports.bench import runner
from reports.bench.database import BenchDatabaseError, bench_database_url
from reports.bench.figures import Measured, ScaleRun, Timing
from reports.bench.harness import main, parse_args
from reports.bench.measure import (
    UNIT_USERNAME,
    EndpointUnavailable,
    page_url,
    queries_captured,
    queries_per_call,
    reporting_inbox_url,
    task_rows_floor,
    time_in_turns,
    unit_client,
)
from reports.bench.report import (
    FAIL,
    PASS,
    PLAN_BROWSER,
    REPORTING_INBOX,
    REVIEW_QUEUE,
    TASK_API,
    TASK_API_FLOOR,
    query_growth,
    render_json,
    render_markdown,
    render_text,
    sql_shape,
    table_rows,
)
from tasks.choices import Role
from tasks.models import Task, User

COUNTS = {"plans": 1, "tasks": 57, "units": 42, "assignments": 385, "indicators": 45, "history": 553,
          "reports": 3925, "review_events": 10133}


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


def run(scale, *, page_ms, api_ms, floor_ms, page_queries=7, api_queries=5,
        queue_ms=30, inbox_ms=40, queue_queries=8, inbox_queries=9) -> ScaleRun:
    return ScaleRun(scale=scale, counts=COUNTS, growth_seconds=0.5, results={
        PLAN_BROWSER: Measured(queries=page_queries, timing=Timing([page_ms / 1000] * 3)),
        TASK_API: Measured(queries=api_queries, timing=Timing([api_ms / 1000] * 3)),
        TASK_API_FLOOR: Measured(queries=2, timing=Timing([floor_ms / 1000] * 3)),
        REVIEW_QUEUE: Measured(queries=queue_queries, timing=Timing([queue_ms / 1000] * 3)),
        REPORTING_INBOX: Measured(queries=inbox_queries, timing=Timing([inbox_ms / 1000] * 3)),
    })


def verdicts(runs) -> dict[str, str]:
    return {row.label: row.verdict for row in table_rows(runs) if row.verdict}


def test_every_goal_met():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(100, page_ms=29, api_ms=14, floor_ms=4.5)]
    assert set(verdicts(runs).values()) == {PASS}


def test_each_missed_goal_is_marked():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=2),
            run(100, page_ms=31, api_ms=14, floor_ms=4, api_queries=6, queue_ms=46, inbox_queries=11)]
    assert verdicts(runs) == {
        "方案浏览页 查询数/请求": PASS,
        "方案浏览页 时间比 ÷1×": FAIL,  # 31 / 20 > 1.5
        "任务 API 列表 查询数/请求": FAIL,  # 5 at 1×, 6 at 100×
        "任务 API 列表 时间比 ÷1×": PASS,
        "任务 API ÷ 下限": FAIL,  # 10 / 2 at 1×
        "审核队列 查询数/请求": PASS,
        "审核队列 时间比 ÷1×": FAIL,  # 46 / 30 > 1.5
        "填报任务页 查询数/请求": FAIL,  # 9 at 1×, 11 at 100×
        "填报任务页 时间比 ÷1×": PASS,
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


def test_an_unmeasured_page_fails_both_its_goals():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(10, page_ms=20, api_ms=10, floor_ms=4)]
    for scale_run in runs:
        scale_run.results[REVIEW_QUEUE] = Measured(error="URL 名称 review-queue 不存在")
    assert verdicts(runs)["审核队列 查询数/请求"] == FAIL
    assert verdicts(runs)["审核队列 时间比 ÷1×"] == FAIL
    assert "1× 审核队列：URL 名称 review-queue 不存在" in render_text("标题", [], runs, table_rows(runs))


def test_sql_shapes_ignore_values_and_list_lengths():
    assert sql_shape("SELECT 1 FROM t WHERE a = 'x''y' AND b IN (1, 2, 3)") == "SELECT ? FROM t WHERE a = ? AND b IN (…)"
    assert sql_shape("SELECT * FROM t WHERE b IN (7)") == sql_shape("SELECT * FROM t WHERE b IN (7, 8)")


def test_query_growth_names_the_extra_queries():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(10, page_ms=20, api_ms=10, floor_ms=4, inbox_queries=4)]
    runs[0].results[REPORTING_INBOX].sql = ["SELECT a FROM session WHERE k = 'abc'", "SELECT b FROM period"]
    runs[1].results[REPORTING_INBOX].sql = [
        "SELECT a FROM session WHERE k = 'def'", "SELECT b FROM period",
        "SELECT c FROM report WHERE id = 5", "SELECT c FROM report WHERE id = 6",
    ]
    assert query_growth(runs) == ["填报任务页 10× 比 1× 多 2 条：SELECT c FROM report WHERE id = ?"]
    assert "! 查询数随规模变化：填报任务页 10× 比 1× 多 2 条" in render_text("标题", [], runs, table_rows(runs))
    assert json.loads(render_json({}, runs, table_rows(runs)))["query_growth"] == query_growth(runs)


@pytest.mark.django_db
def test_queries_captured_keeps_the_sql(plan):
    sql = queries_captured(lambda: list(Task.objects.filter(code="1.1")))
    assert len(sql) == 1 and "tasks_task" in sql[0]


def test_a_missing_url_name_makes_the_page_unavailable():
    with pytest.raises(EndpointUnavailable, match="URL 名称 no-such-page 不存在"):
        page_url("no-such-page")


@pytest.mark.django_db
def test_the_unit_user_is_staff_of_the_measured_unit(plan):
    unit_client()
    user = User.objects.get(username=UNIT_USERNAME)
    assert (user.role, user.unit.name) == (Role.UNIT_STAFF, "新区行政审批与政务服务局")
    with pytest.raises(EndpointUnavailable, match="2022年12月"):
        reporting_inbox_url(plan)  # no synthetic filings yet


@pytest.mark.django_db
def test_unavailable_pages_are_reported_and_the_rest_measured(plan, monkeypatch):
    def missing():
        raise EndpointUnavailable("URL 名称 review-queue 不存在")

    monkeypatch.setattr(runner, "review_queue_url", missing)
    monkeypatch.setattr(runner, "reporting_inbox_url", lambda plan: "/no-such-page/")
    results = runner.scale_measure(plan=plan, repeat=1, warmup=1)
    assert results[REVIEW_QUEUE].error == "URL 名称 review-queue 不存在"
    assert results[REPORTING_INBOX].error == "/no-such-page/ 返回 404"
    assert results[TASK_API].queries and results[TASK_API].sql and results[TASK_API].timing.samples
