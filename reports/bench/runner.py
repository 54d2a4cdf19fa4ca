"""Scale by scale: grow the data, refresh the planner's statistics, measure every endpoint.

Needs Django set up on the benchmark database (see harness.py).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from django.db import connection

from reports.bench.figures import Measured, ScaleRun
from reports.bench.ledger import ledger_measure
from reports.bench.measure import (
    TASK_API_URL,
    DraftWrites,
    EndpointUnavailable,
    office_client,
    page_url,
    plan_browser_url,
    queries_captured,
    reporting_inbox_url,
    review_queue_url,
    task_api_first_page_ids,
    task_rows_floor,
    time_in_turns,
    timed_get,
    timed_write,
    unit_client,
)
from reports.bench.report import (
    DASHBOARDS,
    PLAN_BROWSER,
    REPORT_SAVE,
    REPORT_SUBMIT_RETURN,
    REPORTING_INBOX,
    REVIEW_QUEUE,
    TASK_API,
    TASK_API_FLOOR,
)
from reports.bench.synthetic import synthetic_counts, synthetic_grow
from tasks.models import ActionPlan


def scales_run(*, scales: list[int], repeat: int, warmup: int) -> list[ScaleRun]:
    runs = []
    for scale in scales:
        started = time.perf_counter()
        growth = synthetic_grow(scale=scale)
        run = ScaleRun(scale=scale, counts=synthetic_counts(), growth_seconds=time.perf_counter() - started)
        standings_note = _standings_rebuild(growth.seed_plan)
        _statistics_refresh()
        run.load_average = os.getloadavg()[0]
        run.results = scale_measure(plan=growth.seed_plan, repeat=repeat, warmup=warmup)
        if standings_note:
            for key in DASHBOARDS:
                if run.results[key].error:
                    run.results[key].error += f"（{standings_note}）"
        run.ledger = ledger_measure(repeat=min(repeat, LEDGER_REPEAT))
        runs.append(run)
        print(f"{scale}×：{run.counts['tasks']} 项任务，生成 {run.growth_seconds:.1f} s，已测量", file=sys.stderr)
    return runs


LEDGER_REPEAT = 5  # a whole ledger at 100× takes seconds: fewer turns than a page


def _standings_rebuild(plan: ActionPlan) -> str:
    """Synthetic growth bypasses the services that keep the dashboards' month summary; rebuild
    it from history for the seed plan, as after any bulk load. Returns why not, if it cannot."""
    try:
        from reports.services.standings import standings_rebuild
    except ImportError as exc:
        return f"看板汇总无法重建：{exc}"
    standings_rebuild(plan=plan)
    return ""


def _statistics_refresh() -> None:
    """Bulk inserts leave the planner's statistics stale until autovacuum passes by; a real
    database of that size would have them, so refresh them before measuring."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def scale_measure(*, plan: ActionPlan, repeat: int, warmup: int) -> dict[str, Measured]:
    """Every endpoint and the floor, timed in turns; an unavailable one is reported, not timed."""
    client, unit = office_client(), unit_client()
    results: dict[str, Measured] = {}
    calls = {}
    pages = {
        PLAN_BROWSER: (client, lambda: plan_browser_url(plan)),
        REVIEW_QUEUE: (client, review_queue_url),
        REPORTING_INBOX: (unit, lambda: reporting_inbox_url(plan)),
    }
    pages |= {key: (client, lambda name=key: page_url(DASHBOARDS[name])) for key in DASHBOARDS}
    for key, (page_client, url) in pages.items():
        try:
            calls[key] = timed_get(page_client, url())
        except EndpointUnavailable as exc:
            results[key] = Measured(error=str(exc))
    try:
        ids = task_api_first_page_ids(client)
        calls[TASK_API] = timed_get(client, TASK_API_URL)
        calls[TASK_API_FLOOR] = lambda: task_rows_floor(ids)
    except EndpointUnavailable as exc:
        results[TASK_API] = Measured(error=str(exc))
        results[TASK_API_FLOOR] = Measured(error="没有任务 API 可比较")
    calls |= _writes(plan, results)
    timings = time_in_turns(calls, repeat=repeat, warmup=warmup)
    for name, call in calls.items():
        sql = queries_captured(call)
        results[name] = Measured(queries=len(sql), timing=timings[name], sql=sql)
    return results


def _writes(plan: ActionPlan, results: dict[str, Measured]) -> dict[str, Callable[[], object]]:
    """The measured unit's draft saved, and submitted then returned: calls for timing (each
    rolled back), or the reason why not in ``results``."""
    calls = {}
    try:
        writes = DraftWrites.of(plan)
    except EndpointUnavailable as exc:
        results.update({key: Measured(error=str(exc)) for key in (REPORT_SAVE, REPORT_SUBMIT_RETURN)})
        return calls
    for key, what, write in ((REPORT_SAVE, "report_save", writes.save),
                             (REPORT_SUBMIT_RETURN, "filing_submit + filing_review(return)", writes.submit_return)):
        try:
            calls[key] = timed_write(what, write, writes.draft)
        except EndpointUnavailable as exc:
            results[key] = Measured(error=str(exc))
    return calls
