"""The benchmark's table: figures per scale, the goals and a ✓/✗ for each, as text, Markdown
and JSON. Pure functions of the measured figures: no database, no Django set-up needed."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from reports.bench.figures import Measured, ScaleRun

PLAN_BROWSER = "plan_browser"
TASK_API = "task_api"
TASK_API_FLOOR = "task_api_floor"
REVIEW_QUEUE = "review_queue"
REPORTING_INBOX = "reporting_inbox"
# Dashboards (看板), by key → URL name; measured like the pages, as the office opens them.
DASHBOARDS = {
    "dashboard_overview": "dashboard-overview", "dashboard_groups": "dashboard-groups",
    "dashboard_units": "dashboard-units", "dashboard_indicators": "dashboard-indicators",
    "dashboard_risks": "dashboard-risks",
}
# Writes, as the measured unit's staff (and the office) through the services: a draft progress
# report saved; the same report submitted and returned.
REPORT_SAVE = "report_save"
REPORT_SUBMIT_RETURN = "report_submit_return"
WRITES = (REPORT_SAVE, REPORT_SUBMIT_RETURN)
LABELS = {
    PLAN_BROWSER: "方案浏览页", TASK_API: "任务 API 列表", TASK_API_FLOOR: "下限 values()+JSON",
    REVIEW_QUEUE: "审核队列", REPORTING_INBOX: "填报任务页",
    REPORT_SAVE: "填报保存", REPORT_SUBMIT_RETURN: "填报提交+退回",
    "dashboard_overview": "看板 总览", "dashboard_groups": "看板 任务组", "dashboard_units": "看板 单位",
    "dashboard_indicators": "看板 指标", "dashboard_risks": "看板 风险",
}

MAX_QUERIES = 10
SCALE_RATIO_GOAL = 1.5
FLOOR_RATIO_GOAL = 3.5
# A write at the largest scale ÷ at the smallest: a save must not grow with the plan and its
# history (it once recomputed the whole plan's month summary in its transaction).
WRITE_SCALE_RATIO_GOAL = 1.2
LEDGER_BARE_GOAL = 1.25  # the task ledger's time ÷ a bare openpyxl write-only workbook of the same cells
LEDGER_MEMORY_GOAL_MIB = 32.0
LEDGER_MEMORY_GROWTH_GOAL = 1.2  # peak memory at a scale ÷ at the previous one, when rows grow 10×
PASS, FAIL = "✓", "✗"


@dataclass
class Row:
    label: str
    values: list[str]
    goal: str = ""
    verdict: str = ""


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def _verdict(ok: bool | None) -> str:
    return FAIL if not ok else PASS


def scale_ratios(runs: list[ScaleRun], key: str) -> list[float | None]:
    """Median time at each scale divided by the median at the first (smallest) scale."""
    base = runs[0].median_ms(key)
    return [_ratio(run.median_ms(key), base) for run in runs]


def floor_ratios(runs: list[ScaleRun]) -> list[float | None]:
    return [_ratio(run.median_ms(TASK_API), run.median_ms(TASK_API_FLOOR)) for run in runs]


def queries_ok(runs: list[ScaleRun], key: str, max_queries: int | None = MAX_QUERIES) -> bool:
    """The same number of queries per call at every scale, and at most ``max_queries`` (no
    limit with None)."""
    counts = [run.results[key].queries if key in run.results else None for run in runs]
    return (None not in counts and len(set(counts)) == 1
            and (max_queries is None or counts[0] <= max_queries))


def _endpoint_rows(runs: list[ScaleRun], key: str) -> list[Row]:
    """A page or API: its queries per request (at most MAX_QUERIES, the same at every scale),
    times and time ratio between scales."""
    if key == TASK_API_FLOOR:
        return _timing_rows(runs, key)
    return [
        Row(f"{LABELS[key]} 查询数/请求", _query_values(runs, key), f"≤{MAX_QUERIES}，各规模相同",
            _verdict(queries_ok(runs, key))),
        *_timing_rows(runs, key),
        _scale_ratio_row(runs, key, SCALE_RATIO_GOAL),
    ]


def _write_rows(runs: list[ScaleRun], key: str) -> list[Row]:
    """A write: its queries per call (the same at every scale, however many), times and time
    ratio between scales, held to WRITE_SCALE_RATIO_GOAL."""
    return [
        Row(f"{LABELS[key]} 查询数/次", _query_values(runs, key), "各规模相同", _verdict(queries_ok(runs, key, None))),
        *_timing_rows(runs, key),
        _scale_ratio_row(runs, key, WRITE_SCALE_RATIO_GOAL),
    ]


def _query_values(runs: list[ScaleRun], key: str) -> list[str]:
    return [_fmt(run.results[key].queries if key in run.results else None) for run in runs]


def _timing_rows(runs: list[ScaleRun], key: str) -> list[Row]:
    measured = [run.results.get(key, Measured(error="未测量")) for run in runs]
    return [
        Row(f"{LABELS[key]} 中位数 ms", [_fmt(m.timing and m.timing.median_ms) for m in measured]),
        Row(f"{LABELS[key]} p90 ms", [_fmt(m.timing and m.timing.p90_ms) for m in measured]),
    ]


def _scale_ratio_row(runs: list[ScaleRun], key: str, goal: float) -> Row:
    """Median time at each scale ÷ at the smallest; judged at the largest."""
    ratios = scale_ratios(runs, key)
    return Row(f"{LABELS[key]} 时间比 ÷{runs[0].scale}×", [_fmt(r, 2) for r in ratios], f"{runs[-1].scale}× ≤{goal}",
               _verdict(ratios[-1] is not None and ratios[-1] <= goal))


def table_rows(runs: list[ScaleRun]) -> list[Row]:
    rows = [
        Row("数据 任务数", [_fmt(run.counts["tasks"]) for run in runs]),
        Row("数据 单位数", [_fmt(run.counts["units"]) for run in runs]),
        Row("数据 任务分工数", [_fmt(run.counts["assignments"]) for run in runs]),
        Row("数据 进展填报数", [_fmt(run.counts.get("reports")) for run in runs]),
        Row("数据 审核记录数", [_fmt(run.counts.get("review_events")) for run in runs]),
        Row("数据 历史记录行数", [_fmt(run.counts["history"]) for run in runs]),
        Row("数据 生成耗时 s", [_fmt(run.growth_seconds) for run in runs]),
        Row("机器负载（1 分钟）", [_fmt(run.load_average, 2) for run in runs]),
    ]
    for key in (PLAN_BROWSER, TASK_API, TASK_API_FLOOR):
        rows += _endpoint_rows(runs, key)
    ratios = floor_ratios(runs)
    rows.append(Row("任务 API ÷ 下限", [_fmt(r, 2) for r in ratios], f"每个规模 ≤{FLOOR_RATIO_GOAL}",
                    _verdict(all(r is not None and r <= FLOOR_RATIO_GOAL for r in ratios))))
    # Dashboards appear once measured (or tried: an unavailable one is a ✗ with its reason).
    dashboards = [key for key in DASHBOARDS if any(key in run.results for run in runs)]
    for key in (REVIEW_QUEUE, REPORTING_INBOX, *dashboards):
        rows += _endpoint_rows(runs, key)
    # Writes likewise, once measured or tried.
    for key in (key for key in WRITES if any(key in run.results for run in runs)):
        rows += _write_rows(runs, key)
    return rows + ledger_rows(runs)


def _ledger(run: ScaleRun):
    return run.ledger if run.ledger is not None and not run.ledger.error else None


def ledger_bare_ratios(runs: list[ScaleRun]) -> list[float | None]:
    return [_ratio(lg.ledger_ms, lg.bare_ms) if (lg := _ledger(run)) else None for run in runs]


def ledger_memory_growth(runs: list[ScaleRun], peak: str = "peak_mib") -> list[float | None]:
    """Peak memory at each scale ÷ at the previous scale (— at the first); ``peak`` names the
    figure: the second of two exports (the goals) or the first one (for reference)."""
    peaks = [getattr(lg, peak) if (lg := _ledger(run)) else None for run in runs]
    return [None, *(_ratio(b, a) for a, b in zip(peaks, peaks[1:], strict=False))]


def ledger_rows(runs: list[ScaleRun]) -> list[Row]:
    """The task ledger: rows, its time against the bare workbook's, its peak memory."""
    if not any(run.ledger is not None for run in runs):
        return []
    figures = [_ledger(run) for run in runs]
    ratios = ledger_bare_ratios(runs)
    peaks = [f.peak_mib if f else None for f in figures]
    growth = ledger_memory_growth(runs)
    largest = ratios[-1]
    return [
        Row("任务台账 行数", [_fmt(f.rows) if f else "—" for f in figures]),
        Row("任务台账 导出 中位数 ms", [_fmt(f.ledger_ms) if f else "—" for f in figures]),
        Row("裸 openpyxl 只写 中位数 ms", [_fmt(f.bare_ms) if f else "—" for f in figures]),
        Row("任务台账 ÷ 裸 openpyxl", [_fmt(r, 2) for r in ratios], f"{runs[-1].scale}× ≤{LEDGER_BARE_GOAL}",
            _verdict(largest is not None and largest <= LEDGER_BARE_GOAL)),
        Row("任务台账 峰值内存 MiB", [_fmt(p, 2) for p in peaks], f"每个规模 <{LEDGER_MEMORY_GOAL_MIB:g}",
            _verdict(all(p is not None and p < LEDGER_MEMORY_GOAL_MIB for p in peaks))),
        Row("任务台账 内存 ÷ 上一规模", [_fmt(g, 2) for g in growth], f"行数×10 时 ≤{LEDGER_MEMORY_GROWTH_GOAL}",
            _verdict(len(growth) > 1 and all(g is not None and g <= LEDGER_MEMORY_GROWTH_GOAL for g in growth[1:]))),
        Row("（参考）首次导出 峰值内存 MiB", [_fmt(f.first_peak_mib, 2) if f else "—" for f in figures],
            "完全回收后的第一次导出，含解释器空闲链表回填"),
        Row("（参考）首次导出 内存 ÷ 上一规模", [_fmt(g, 2) for g in ledger_memory_growth(runs, "first_peak_mib")]),
    ]


def errors(runs: list[ScaleRun]) -> list[str]:
    endpoints = [f"{run.scale}× {LABELS[key]}：{m.error}"
                 for run in runs for key, m in run.results.items() if m.error]
    ledgers = [f"{run.scale}× 任务台账：{run.ledger.error}" for run in runs if run.ledger is not None and run.ledger.error]
    return endpoints + ledgers


def sql_shape(sql: str) -> str:
    """A query with its values taken out, so that the same query at two scales compares equal:
    numbers and strings become ?, and an IN list of any length becomes (…)."""
    shape = re.sub(r"'(?:[^']|'')*'", "?", sql)
    shape = re.sub(r"\b\d+(?:\.\d+)?\b", "?", shape)
    return re.sub(r"IN \((?:\?, )*\?\)", "IN (…)", shape)


def query_growth(runs: list[ScaleRun]) -> list[str]:
    """For each endpoint whose query count changes with the scale: the queries that the larger
    scale runs more often than the smallest, by shape, with how many more."""
    lines = []
    for key in LABELS:
        measured = [(run.scale, run.results[key]) for run in runs if key in run.results and run.results[key].sql]
        if len({len(m.sql) for _, m in measured}) < 2:
            continue
        (base_scale, base), *others = measured
        for scale, m in others:
            extra = Counter(map(sql_shape, m.sql)) - Counter(map(sql_shape, base.sql))
            fewer = Counter(map(sql_shape, base.sql)) - Counter(map(sql_shape, m.sql))
            for shape, n in sorted(extra.items(), key=lambda item: -item[1]):
                lines.append(f"{LABELS[key]} {scale}× 比 {base_scale}× 多 {n} 条：{shape[:300]}")
            for shape, n in sorted(fewer.items(), key=lambda item: -item[1]):
                lines.append(f"{LABELS[key]} {scale}× 比 {base_scale}× 少 {n} 条：{shape[:300]}")
    return lines


def _width(text: str) -> int:
    """Columns taken in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def _grid(runs: list[ScaleRun], rows: list[Row]) -> list[list[str]]:
    header = ["指标", *(f"{run.scale}×" for run in runs), "目标", "结果"]
    return [header, *([row.label, *row.values, row.goal, row.verdict] for row in rows)]


def render_text(title: str, notes: list[str], runs: list[ScaleRun], rows: list[Row]) -> str:
    grid = _grid(runs, rows)
    widths = [max(_width(line[i]) for line in grid) for i in range(len(grid[0]))]
    numeric = set(range(1, len(runs) + 1))
    lines = ["  ".join(_pad(cell, widths[i], i in numeric) for i, cell in enumerate(line)).rstrip()
             for line in grid]
    lines.insert(1, "  ".join("-" * w for w in widths))
    problems = [*("! " + e for e in errors(runs)), *("! 查询数随规模变化：" + g for g in query_growth(runs))]
    return "\n".join([title, *notes, "", *lines, *problems]) + "\n"


def render_markdown(title: str, notes: list[str], runs: list[ScaleRun], rows: list[Row]) -> str:
    grid = _grid(runs, rows)
    align = ["---", *("---:" for _ in runs), "---", ":---:"]
    lines = [f"| {' | '.join(line)} |" for line in [grid[0], align, *grid[1:]]]
    problems = [f"- {e}" for e in errors(runs)] + [f"- 查询数随规模变化：`{g}`" for g in query_growth(runs)]
    return "\n".join([f"# {title}", "", *(f"- {n}" for n in notes), "", *lines, "", *problems]).rstrip() + "\n"


def render_json(meta: dict, runs: list[ScaleRun], rows: list[Row]) -> str:
    def measured(m: Measured) -> dict:
        timing = m.timing
        return {"queries": m.queries, "error": m.error or None,
                "median_ms": timing and timing.median_ms, "p90_ms": timing and timing.p90_ms,
                "samples_ms": timing and [s * 1000 for s in timing.samples], "sql": m.sql}

    data = {
        "meta": meta,
        "goals": {"max_queries": MAX_QUERIES, "scale_ratio": SCALE_RATIO_GOAL, "floor_ratio": FLOOR_RATIO_GOAL,
                  "write_scale_ratio": WRITE_SCALE_RATIO_GOAL,
                  "ledger_bare": LEDGER_BARE_GOAL, "ledger_memory_mib": LEDGER_MEMORY_GOAL_MIB,
                  "ledger_memory_growth": LEDGER_MEMORY_GROWTH_GOAL},
        "scales": [{"scale": run.scale, "counts": run.counts, "growth_seconds": run.growth_seconds,
                    "load_average": run.load_average, "results": {k: measured(m) for k, m in run.results.items()}} for run in runs],
        "ratios": {"plan_browser_scale": scale_ratios(runs, PLAN_BROWSER),
                   "task_api_scale": scale_ratios(runs, TASK_API), "task_api_floor": floor_ratios(runs),
                   "review_queue_scale": scale_ratios(runs, REVIEW_QUEUE),
                   "reporting_inbox_scale": scale_ratios(runs, REPORTING_INBOX),
                   **{f"{key}_scale": scale_ratios(runs, key) for key in DASHBOARDS},
                   **{f"{key}_scale": scale_ratios(runs, key) for key in WRITES},
                   "ledger_bare": ledger_bare_ratios(runs), "ledger_memory_growth": ledger_memory_growth(runs),
                   "ledger_first_memory_growth": ledger_memory_growth(runs, "first_peak_mib")},
        "ledger": [None if run.ledger is None else {
            "rows": run.ledger.rows, "ledger_ms": run.ledger.ledger_ms, "bare_ms": run.ledger.bare_ms,
            "ledger_samples_ms": [x * 1000 for x in run.ledger.ledger_seconds],
            "bare_samples_ms": [x * 1000 for x in run.ledger.bare_seconds],
            "peak_mib": run.ledger.peak_mib, "first_peak_mib": run.ledger.first_peak_mib,
            "error": run.ledger.error or None} for run in runs],
        "query_growth": query_growth(runs),
        "table": [{"label": r.label, "values": r.values, "goal": r.goal, "verdict": r.verdict} for r in rows],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
