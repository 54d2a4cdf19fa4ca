"""演示历史: a plan's monthly dispatch (月调度) as the demo units would have lived it.

Every month of the plan is opened; the demo units' staff write a progress report on each task
their unit leads (本月完成情况、存在问题、下月计划、完成进度 and the actual values of the task's
indicators), mostly on time and some late; the office returns a few with a comment, the unit fixes
and resubmits them, and the office approves; the supporting demo units add their 配合情况; each
January the lead units file their 年度工作方案 with a ledger. Whatever would happen after now is
not played. The seed plan (2020–2022) is played whole: it has ended, and nothing is owed on it
today.

When today is inside the plan (the demo plan, tasks/demo.py), today's month is opened with work
in every state for the inbox and the review queue — reports not begun, drafts, reports awaiting
review, one returned, some already approved, 配合情况 submitted and drafted — and a few reports of
the months just past are left undone for the escalation ladder (``DemoPresent``): a report not in
a 督办单's distance after its due date (one handed in late after it, one still missing), and last
month's not begun or only drafted. The ladder itself — the daily scans, the units' replies — is
supervision's (supervision/demo.py), played in the same timeline as this script.

Everything goes through the services a user would call (``period_open``, ``report_save``,
``filing_submit``, ``filing_review``, ``contribution_save``, ``annual_plan_save``) with Django's
clock set to when each step happened, so lateness, review events, history rows (who and when)
and inbox messages are exactly what the portal itself would have recorded. Texts, progress and
timing come from random generators seeded by task, account and month: the same month comes out
the same whichever range of months is built.
"""

from __future__ import annotations

import datetime
import io
import logging
import random
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from tasks.choices import AssignmentRole, Comparator, FilingStatus, PeriodStatus, ReviewAction, Role
from tasks.demo import DEMO_ACCOUNTS, DEMO_CONTRIBUTORS, DEMO_REVIEWER
from tasks.jobs import notification_email_job
from tasks.models import (
    ActionPlan,
    AnnualWorkPlan,
    Contribution,
    Filing,
    Indicator,
    ProgressReport,
    ReportingPeriod,
    Task,
    User,
)
from tasks.services.dispatch import (
    ReportInput,
    annual_plan_save,
    contribution_save,
    filing_review,
    filing_submit,
    period_close,
    period_due_date,
    period_open,
    report_save,
)
from tasks.services.inbox import notifications_mark_read
from tasks.workdays import WorkingCalendar, add_working_days

YearMonth = tuple[int, int]
_Span = tuple[datetime.datetime, datetime.datetime]

LATE_RATE = 0.10  # share of reports submitted after the due date, on average over the units
RETURN_RATE = 0.08  # share of reports the office returns once before approving
CONTRIBUTION_RATE = 0.35  # chance a supporting unit writes in a month (twice that at quarter end)
EVIDENCE_RATE = 0.1  # share of reports with a ledger attached (every annual work plan has one)


# --- the clock -----------------------------------------------------------------------------------


class DemoClock:
    """What ``django.utils.timezone.now`` answers while the history plays: the services,
    ``auto_now`` fields, ``localdate()`` and django-simple-history all read the time through it.

    A plain swap rather than time_machine: that is a test dependency, and seed_demo also runs
    where only the portal's own dependencies are installed (the Docker image). One process, one
    command: nothing else reads the clock meanwhile.
    """

    def __init__(self, at: datetime.datetime):
        self.at = at

    @contextmanager
    def running(self) -> Iterator[DemoClock]:
        real = timezone.now
        timezone.now = lambda: self.at
        try:
            yield self
        finally:
            timezone.now = real


def demo_clock(at: datetime.datetime):
    """``with demo_clock(at): ...`` — run code as if it were ``at``."""
    return DemoClock(at).running()


@contextmanager
def jobs_in_process() -> Iterator[None]:
    """Run the e-mail copies of the history's inbox messages here, not through the broker: a
    worker started later would otherwise work through thousands of jobs about old events (the
    demo accounts have no address, so nothing is sent). Their log lines would bury the command's
    output: a line per job, and kombu's note that the filesystem broker has no host name."""
    conf = notification_email_job.app.conf
    quiet = {"celery.app.trace": logging.WARNING, "kombu.connection": logging.ERROR}
    loggers = {logging.getLogger(name): level for name, level in quiet.items()}
    before, levels = conf.task_always_eager, {logger: logger.level for logger in loggers}
    conf.task_always_eager = True
    for logger, level in loggers.items():
        logger.setLevel(max(logger.level, level))
    try:
        yield
    finally:
        conf.task_always_eager = before
        for logger, level in levels.items():
            logger.setLevel(level)


class _WorkingDays:
    """The working days of a span, read once from the portal's calendar."""

    def __init__(self, start: datetime.date, end: datetime.date):
        calendar = WorkingCalendar(start, end)
        self.dates = [day.date for day in calendar.days(start, end) if day.is_working]

    def shift(self, date: datetime.date, count: int) -> datetime.date:
        """``count`` working days from ``date`` (a day off counts as the next working day)."""
        index = bisect_left(self.dates, date) + count
        return self.dates[max(0, min(index, len(self.dates) - 1))]


# --- what was written ------------------------------------------------------------------------------

# (下月计划 as written, what the next month's 本月完成情况 says of it): next month's report checks
# last month's plan against what was done (有对比、可检查).
_WORK = [
    ("召开专题推进会，研究解决推进中的难点问题", "召开专题推进会{a}次，协调解决难点问题{b}个"),
    ("会同配合单位深入企业调研，摸清企业实际需求", "会同配合单位走访企业{b}家，收集意见建议{c}条"),
    ("修订完善相关工作制度和办事指南", "修订完善工作制度{a}项，更新办事指南{b}份"),
    ("组织窗口及业务骨干开展专题培训", "组织专题培训{a}场，参训{d}人次"),
    ("梳理事项清单，推动办理流程再造", "梳理事项清单{c}项，精简办理环节{a}个、申请材料{b}项"),
    ("通过多种渠道开展政策宣传解读", "通过政务网站、微信公众号发布政策解读{b}篇，开展政策宣讲{a}场"),
    ("推进业务系统对接和数据共享", "完成{a}个业务系统对接，共享数据{e}条"),
    ("对照年度工作方案开展自查，建立问题台账", "对照年度工作方案开展自查，建立问题台账，完成整改{b}项"),
    ("总结提炼典型做法，编发工作简报", "编发工作简报{a}期，总结提炼典型做法{a}项"),
    ("跟踪服务重点项目，提供帮办代办服务", "为{b}个重点项目提供帮办代办服务，解决具体问题{b}个"),
    ("开展督导检查，确保各项措施落地见效", "开展督导检查{a}次，督促整改问题{b}个"),
    ("畅通企业诉求渠道，做到快速响应、限时办结", "受理企业诉求{c}件，按时办结率{pct}%"),
]
# The same, once a task is complete: keeping what was achieved.
_KEEP = [
    ("巩固改革成果，推动各项措施常态化运行", "各项措施常态化运行，{b}项制度执行情况良好"),
    ("开展“回头看”，防止问题反弹", "开展“回头看”检查{a}次，未发现问题反弹"),
    ("总结提炼经验做法，争取在全市复制推广", "总结提炼经验做法{a}项，向市级部门报送经验材料{a}篇"),
    ("跟踪企业办事体验，持续优化服务细节", "回访企业{c}家，满意率{pct}%"),
]
_ITEMS = _WORK + _KEEP
_OPENERS = ["重点抓好{m}等工作", "着力推进{m}相关工作", "聚焦{m}持续发力", "扎实做好{m}各项工作"]
_PROBLEMS = [
    "部分配合单位资料报送不够及时，影响整体推进节奏。",
    "相关信息系统尚未完全打通，数据共享还需加强。",
    "基层窗口人员业务能力参差不齐，培训还需常态化。",
    "企业对新政策知晓度不高，宣传覆盖面有待扩大。",
    "个别事项涉及市级部门审批权限，协调难度较大。",
    "专项工作经费尚未完全到位。",
    "跨部门协同机制还需进一步完善。",
    "部分项目前期手续不全，推进速度不及预期。",
]
_SEASONAL_PROBLEMS = {
    1: "春节前后企业复工较晚，部分现场工作推进放缓。",
    2: "春节假期影响，部分工作推进放缓。",
    7: "汛期降雨较多，部分现场工作受到影响。",
    8: "汛期降雨较多，部分现场工作受到影响。",
    11: "秋冬季大气污染防治管控期间，部分施工项目停工。",
    12: "秋冬季大气污染防治管控期间，部分施工项目停工。",
}
_LAG_CAUSES = [
    "前期手续办理周期较长", "涉及市级部门审批权限，协调耗时较长", "配套资金到位较晚",
    "信息系统建设进度滞后", "征地拆迁推进缓慢", "牵头科室人员调整",
]
_DEPARTMENTS = ["综合科", "业务一科", "业务二科", "政策法规科", "项目服务科"]
# (the field the office finds wanting, its comment, what the unit adds when it fixes it)
_REPORT_RETURNS = [
    ("completed", "本月完成情况表述较笼统，请补充量化数据和具体成效。",
     "其中，本月新增办理{c}件，平均办理时间较上月缩短{a}个工作日。"),
    ("problems", "存在问题未写明原因和解决措施，请补充。",
     "下一步将加强与配合单位的沟通对接，明确责任科室和完成时限，逐项销号。"),
    ("next_plan", "下月计划请明确责任科室和完成时限。", "（责任科室：{dept}；完成时限：{deadline}前）"),
    ("completed", "请核实完成进度，并说明佐证材料。",
     "完成进度已逐项核实，相关会议纪要、工作台账已存档备查。"),
]
_CONTRIBUTION_RETURN = ("配合情况请写明本单位承担的具体工作和数据。", "其中本单位{done}。")
_ANNUAL_PLAN_RETURN = (
    "年度目标未量化，请对照行动方案补充可检查的目标和时间节点。",
    "补充说明：年度目标按季度分解，纳入月调度逐月对比检查。",
)


def _numbers(rng: random.Random, deadline: str = "") -> dict[str, object]:
    return {
        "a": rng.randint(1, 4), "b": rng.randint(2, 15), "c": rng.randint(10, 80),
        "d": rng.randint(30, 260), "e": rng.randint(2000, 60000), "pct": rng.randint(92, 100),
        "dept": rng.choice(_DEPARTMENTS), "deadline": deadline,
    }


# How the clauses of a task's text that name a measure begin (推行…, 建立…, 压缩…).
_MEASURE_VERBS = set("推加建完实开深优强提落探规简压组制整健引搭积持全扩严做打创鼓支发聚坚构统精依减清放编梳畅设培")


def _measures(task: Task) -> list[str]:
    """The task's own measures: the clauses of its text after the title sentence that begin
    with a verb and do not break a quotation."""
    body = task.text.split("。", 1)[-1]
    clauses = [c.strip() for c in body.replace("；", "，").replace("。", "，").split("，")]
    return [c for c in clauses if 8 <= len(c) <= 40 and c[0] in _MEASURE_VERBS
            and c.count("“") == c.count("”") and "牵头" not in c] or [task.title]


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _month_label(ym: YearMonth) -> str:
    return f"{ym[0]}年{ym[1]}月"


def _next_month(ym: YearMonth) -> YearMonth:
    return (ym[0] + 1, 1) if ym[1] == 12 else (ym[0], ym[1] + 1)


def _previous_month(ym: YearMonth) -> YearMonth:
    return (ym[0] - 1, 12) if ym[1] == 1 else (ym[0], ym[1] - 1)


# --- lanes: one account on one task -------------------------------------------------------------


@dataclass
class _Lane:
    """A demo account reporting on one task: how fast it goes and how punctual it is."""

    task: Task
    user: User
    seed: str
    pace: float  # 1.0 finishes with the plan; below lags behind 序时进度
    late_rate: float
    progress: list[int]  # 完成进度 at the end of each month of the plan
    indicators: list[Indicator]

    def rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(map(str, (self.seed, self.task.code, self.user.username, *parts))))


# Shares of the lead lanes that fall far behind (red by the end), behind (yellow) or finish
# early, with their paces; the rest keep to the plan.
_PACES = [(0.08, (0.5, 0.65)), (0.15, (0.72, 0.86)), (0.12, (1.15, 1.35))]
_ON_PACE = (0.97, 1.1)


def _paces(keys: list[str], *, seed: str) -> dict[str, float]:
    """A pace for each lane, dealt out in the shares above in an order shuffled by the seed."""
    order = sorted(keys, key=lambda key: random.Random(f"{seed}|{key}|rank").random())
    paces = {}
    for position, key in enumerate(order):
        share, span = (position + 0.5) / len(order), _ON_PACE
        for limit, pace_span in _PACES:
            if share < limit:
                span = pace_span
                break
            share -= limit
        paces[key] = random.Random(f"{seed}|{key}|pace").uniform(*span)
    return paces


def _lane(task: Task, user: User, *, seed: str, months: int, pace: float = 1.0) -> _Lane:
    rng = random.Random(f"{seed}|{task.code}|{user.username}|lane")
    # Slow start, uneven months, some with no progress at all.
    weights = [max(0.0, rng.gauss(1, 0.6)) * (0.5 + i / months) for i in range(months)]
    total, running, progress = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        progress.append(min(100, round(100 * pace * running / total)))
    late_rate = rng.uniform(0.3, 1.7) * LATE_RATE
    indicators = sorted(task.indicators.all(), key=lambda i: i.sort_order)
    return _Lane(task, user, seed, pace, late_rate, progress, indicators)


def _indicator_value(lane: _Lane, indicator: Indicator, *, elapsed: float) -> Decimal:
    """The actual value after ``elapsed`` (0–1) of the indicator's period: from where the unit
    started toward the target — down for ≤, up for ≥ and =, into the span for a range — reached
    by units on pace, not quite by those behind."""
    rng = lane.rng(indicator.key, "start")
    target = indicator.target_value
    if indicator.comparator == Comparator.LE:
        aim = target
        start = target + 2 if indicator.unit_of_measure == "类" else target * Decimal(rng.uniform(1.6, 2.4))
    elif indicator.comparator == Comparator.RANGE:
        aim = (target + indicator.target_max) / 2
        start = indicator.target_max * Decimal(rng.uniform(1.3, 1.8))
    else:
        aim = target
        rate = indicator.unit_of_measure in {"%", "平方米", "分钟", "小时", "小时/天"}
        start = target * Decimal(rng.uniform(0.5, 0.75) if rate else rng.uniform(0, 0.12))
    reached = Decimal(min(1.0, lane.pace * 1.1 * elapsed ** 0.8))
    return _rounded(indicator, start + (aim - start) * reached)


def _rounded(indicator: Indicator, value: Decimal) -> Decimal:
    """Counts and days in whole numbers — a count of things done rounds down, time still taken
    rounds up, so a target is met only when it is — rates and areas to one decimal."""
    target = indicator.target_value
    if target != target.to_integral_value() or indicator.unit_of_measure in {"%", "平方米"}:
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    rounding = ROUND_UP if indicator.comparator in {Comparator.LE, Comparator.RANGE} else ROUND_DOWN
    return value.quantize(Decimal("1"), rounding=rounding)


# --- the content of one filing ------------------------------------------------------------------


@dataclass
class _ReportContent:
    data: ReportInput
    actuals: dict[int, Decimal]
    comment: str  # the office's reason to return it ("" when it is not returned)
    fixed: ReportInput | None  # what the unit resubmits


class _Writer:
    """Plausible texts for a lane's report, contribution or annual plan in a month."""

    def __init__(self, plan: ActionPlan, months: list[YearMonth]):
        self.plan, self.months = plan, months

    def index(self, ym: YearMonth) -> int:
        """The month's place in the plan; months after the plan count as its last."""
        return self.months.index(ym) if ym in self.months else len(self.months) - 1

    def expected(self, ym: YearMonth) -> int:
        """序时进度 at the end of the month."""
        if ym not in self.months:
            return 100
        return round(100 * (self.index(ym) + 1) / len(self.months))

    def items(self, lane: _Lane, ym: YearMonth) -> list[int]:
        """The two pieces of work planned in ``ym`` for the month after (indices in _ITEMS)."""
        rng = lane.rng(ym, "plan")
        if lane.progress[self.index(ym)] >= 100:
            return [len(_WORK) + i for i in rng.sample(range(len(_KEEP)), 2)]
        return rng.sample(range(len(_WORK)), 2)

    def report(self, lane: _Lane, ym: YearMonth, *, returned: bool) -> _ReportContent:
        rng = lane.rng(ym, "report")
        progress = lane.progress[self.index(ym)]
        actuals = self.actuals(lane, ym)
        data = ReportInput(
            completed=self.completed(lane, ym, progress, actuals, rng),
            problems=self.problems(lane, ym, progress, rng),
            next_plan=self.next_plan(lane, ym),
            progress=progress,
        )
        if not returned:
            return _ReportContent(data, actuals, "", None)
        field, comment, addition = rng.choice(_REPORT_RETURNS)
        deadline = f"{_next_month(ym)[1]}月{rng.randint(15, 28)}日"
        fixed = ReportInput(**vars(data))
        setattr(fixed, field, getattr(fixed, field) + addition.format(**_numbers(rng, deadline)))
        return _ReportContent(data, actuals, comment, fixed)

    def completed(self, lane, ym, progress, actuals, rng) -> str:
        numbers = _numbers(rng)
        measure = rng.choice(_measures(lane.task))
        previous = _previous_month(ym)
        if previous in self.months and self.index(previous) < self.index(ym):
            done = [_ITEMS[i][1].format(**numbers) for i in self.items(lane, previous)]
            lead = f"按照上月计划，{done[0]}；{done[1]}。"
        else:
            done = [_ITEMS[i][1].format(**numbers) for i in self.items(lane, ym)]
            lead = f"{done[0]}；{done[1]}。"
        unit = lane.user.unit.short_name
        opener = rng.choice(_OPENERS).format(m=measure)
        text = f"{ym[1]}月，{unit}围绕「{lane.task.title}」，{opener}。{lead}"
        if ym[1] == 6:
            text += f"完成上半年工作总结，梳理存在问题{numbers['a']}项。"
        if ym[1] == 12:
            text += f"全面总结全年工作，形成年度工作总结和典型案例{numbers['a']}个。"
        text += f"截至月底，任务完成进度{progress}%。"
        if actuals:
            by_id = {i.pk: i for i in lane.indicators}
            parts = [f"{by_id[pk].name}{_plain(v)}{by_id[pk].unit_of_measure}（目标{by_id[pk].target_display}）"
                     for pk, v in actuals.items()]
            text += f"指标完成情况：{'；'.join(parts)}。"
        return text

    def problems(self, lane, ym, progress, rng) -> str:
        behind = self.expected(ym) - progress
        if behind >= settings.LIGHT_YELLOW_BEHIND:
            cause = rng.choice(_LAG_CAUSES)
            return (f"完成进度落后序时进度{behind}个百分点，主要原因是{cause}。"
                    f"已制定赶进度措施，力争尽快追上序时进度。")
        if progress >= 100:
            return "暂无。"
        seasonal = _SEASONAL_PROBLEMS.get(ym[1])
        if seasonal and rng.random() < 0.5:
            return seasonal
        return "暂无。" if rng.random() < 0.2 else rng.choice(_PROBLEMS)

    def next_plan(self, lane, ym) -> str:
        plans = [_ITEMS[i][0] for i in self.items(lane, ym)]
        month = _next_month(ym)[1]
        text = f"{month}月，{plans[0]}；{plans[1]}。"
        if month == 1 and ym[0] + 1 in self.plan.years:
            text += f"细化{ym[0] + 1}年度工作方案，明确任务清单和工作台账。"
        elif month == 1:
            text += "做好行动方案实施情况总结评估。"
        elif month == 12:
            text += "全面梳理年度目标完成情况，查漏补缺，确保年度任务按期完成。"
        return text

    def actuals(self, lane: _Lane, ym: YearMonth) -> dict[int, Decimal]:
        values = {}
        for indicator in lane.indicators:
            if indicator.year is None:
                elapsed = (self.index(ym) + 1) / len(self.months)
            elif indicator.year == ym[0] and ym in self.months:
                elapsed = ym[1] / 12
            else:
                continue
            values[indicator.pk] = _indicator_value(lane, indicator, elapsed=elapsed)
        return values

    def contribution(self, lane: _Lane, ym: YearMonth, *, returned: bool) -> tuple[str, str, str | None]:
        """(text, the office's comment if returned, the fixed text)."""
        rng = lane.rng(ym, "contribution")
        numbers = _numbers(rng)
        leads = "、".join(u.short_name for u in lane.task.lead_units)
        work, later = rng.sample(_WORK, 2)
        unit = lane.user.unit.short_name
        text = (f"{ym[1]}月，{unit}配合{leads}推进「{lane.task.title}」，{work[1].format(**numbers)}。"
                f"下一步将{later[0]}。")
        if not returned:
            return text, "", None
        comment, addition = _CONTRIBUTION_RETURN
        return text, comment, text + addition.format(done=later[1].format(**_numbers(rng)))

    def annual_plan(self, lane: _Lane, year: int, *, returned: bool) -> tuple[str, str, str | None]:
        rng = lane.rng(year, "annual")
        task = lane.task
        goals = [f"{i.name}{i.target_display}" for i in lane.indicators if i.year in (None, year)]
        end = self.expected((year, 12))
        goal = "、".join(goals) + f"，年底完成进度达到{end}%" if goals else f"年底完成进度达到{end}%"
        measures = rng.sample(_measures(task), min(3, len(_measures(task))))
        quarters = [w[0] for w in rng.sample(_WORK, 3)]
        supporters = "、".join(u.short_name for u in task.supporting_units[:4]) or "相关单位"
        steps = "；\n".join(f"{n}．{m}" for n, m in enumerate(measures, 1))
        text = (
            f"{year}年度工作方案：{task.code} {task.title}\n"
            f"一、工作目标：{goal}。\n二、主要措施：\n{steps}。\n"
            f"三、时间节点：一季度{quarters[0]}；二季度{quarters[1]}；三季度{quarters[2]}；"
            f"四季度全面完成年度目标，总结上报工作成效和典型经验。\n"
            f"四、责任分工：{lane.user.unit.short_name}牵头，{supporters}等配合，"
            f"{rng.choice(_DEPARTMENTS)}具体负责，按月报送进展。\n五、工作台账：见附件。"
        )
        if not returned:
            return text, "", None
        comment, addition = _ANNUAL_PLAN_RETURN
        return text, comment, f"{text}\n{addition}"


def _ledger(title: str, header: list[str], rows: list[list[object]], at: datetime.datetime) -> bytes:
    """A small 工作台账 workbook, as units attach to their filings."""
    book = Workbook()
    sheet = book.active
    sheet.title = "工作台账"
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.properties.creator = "西咸新区"
    book.properties.created = at.astimezone(datetime.UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the script: every step at its time -------------------------------------------------------


@dataclass
class _Step:
    at: datetime.datetime
    order: int
    run: Callable[[], object]
    label: str  # 「2020年3月 1.1 shenpi 进展填报 submit」


# How many working days after the step before, and in which hours, each step of a filing happens.
_GAPS = {"return": ((1, 3), (9, 17)), "fix": ((0, 2), (9, 12)), "resubmit": ((0, 0), (14, 17)),
         "approve": ((1, 3), (9, 17))}


@dataclass(frozen=True)
class HeldReport:
    """A demo unit's report the present leaves undone by its due date (see ``HELD_STORIES``)."""

    task: Task
    user: User
    month: YearMonth
    story: str


# Which account's report (on its first lead task) the present leaves undone, and what happens:
#   late — a 督办单's distance overdue; 催办 and 督办单 answered, handed in late and approved;
#   ignored — a 督办单's distance overdue; 催办 answered, the 督办单 not yet; still not in;
#   untouched — last month's, not begun: 催办 unanswered;
#   draft — last month's, saved as a draft and not submitted: 催办 unanswered.
HELD_STORIES = (("nongye", "late"), ("gaige", "ignored"), ("shichang", "untouched"), ("shenpi", "draft"))


@dataclass(frozen=True)
class DemoPresent:
    """Today inside the plan: today's month, the last month whose reports fell due before today
    (overdue), the last whose reports were a 督办单's distance overdue before today (notice), the
    day from which the demo plays the ladder's daily scan (the 提醒 of the notice month), and the
    demo units' reports left undone."""

    today: datetime.date
    month: YearMonth
    overdue_month: YearMonth | None
    notice_month: YearMonth | None
    chase_from: datetime.date
    held: tuple[HeldReport, ...]


@dataclass(frozen=True)
class DemoHistory:
    """What the plan's dispatch holds after the build (the summary seed_demo prints)."""

    reports: int
    late: int
    returned: int
    contributions: int
    annual_plans: int
    late_annual_plans: int
    open_drafts: int
    open_submitted: int
    open_returned: int

    def summary(self) -> str:
        return (
            f"演示历史：进展填报 {self.reports} 份（逾期 {self.late} 份，被退回 {self.returned} 份），"
            f"配合情况 {self.contributions} 份，年度工作方案 {self.annual_plans} 份"
            f"（逾期 {self.late_annual_plans} 份）；当前待办：草稿 {self.open_drafts} 份、"
            f"待审核 {self.open_submitted} 份、已退回 {self.open_returned} 份。"
        )


class _History:
    """The demo accounts' lanes and the script of their steps: ``schedule`` writes it, ``play``
    runs it in time order under the demo clock."""

    def __init__(self, *, plan: ActionPlan, months: Sequence[YearMonth], now: datetime.datetime,
                 seed: str, evidence: bool):
        self.plan, self.now, self.seed, self.evidence = plan, now, seed, evidence
        self.plan_months = plan.months
        unknown = set(months) - set(self.plan_months)
        if unknown:
            raise ValueError(f"不在方案期内的月份：{sorted(unknown)}")
        self.months = sorted(months)
        self.tz = timezone.get_current_timezone()
        self.writer = _Writer(plan, self.plan_months)
        self.steps: list[_Step] = []
        self.periods: dict[YearMonth, ReportingPeriod] = {}
        accounts = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}
        self.readers = list(accounts.values())
        self.office = accounts[DEMO_REVIEWER]
        staff = [accounts[a[0]] for a in DEMO_ACCOUNTS if a[3] == Role.UNIT_STAFF and a[0] in accounts]
        lead = [(task, user) for user in staff for task in self._tasks(user, AssignmentRole.LEAD)]
        paces = _paces([f"{t.code}|{u.username}" for t, u in lead], seed=seed)
        months_total = len(self.plan_months)
        self.lead_lanes = [_lane(t, u, seed=seed, months=months_total, pace=paces[f"{t.code}|{u.username}"])
                           for t, u in lead]
        # A supporting unit writes on the tasks whose lead units report here too.
        led = {task.pk for task, _ in lead}
        self.support_lanes = [
            _lane(task, user, seed=seed, months=months_total)
            for user in staff if user.username in DEMO_CONTRIBUTORS
            for task in self._tasks(user, AssignmentRole.SUPPORTING) if task.pk in led
        ]
        first, last = self.plan_months[0], self.plan_months[-1]
        self.days = _WorkingDays(datetime.date(first[0], first[1], 1) - datetime.timedelta(days=31),
                                 datetime.date(last[0], last[1], 28) + datetime.timedelta(days=120))
        self.present = self._present()
        self.held = {(h.task.pk, h.user.pk, h.month): h.story for h in self.present.held} if self.present else {}

    def _present(self) -> DemoPresent | None:
        """Today's month and the months just past, when today's month is among those built."""
        today = self.now.astimezone(self.tz).date()
        month = (today.year, today.month)
        if month not in self.months:
            return None
        before = self.plan_months[:self.plan_months.index(month)][-4:]  # a 督办单's distance is a few weeks
        due = {ym: period_due_date(year=ym[0], month=ym[1])[0] for ym in before}
        overdue = max((ym for ym, day in due.items() if day < today), default=None)
        notice = max((ym for ym, day in due.items()
                      if self.days.shift(day, settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS) < today), default=None)
        chase_from = self.days.shift(due[notice], -settings.LADDER_REMINDER_WORKING_DAYS) if notice else today
        first_lane = {}
        for lane in self.lead_lanes:
            first_lane.setdefault(lane.user.username, lane)
        held = tuple(
            HeldReport(lane.task, lane.user, ym, story)
            for username, story in HELD_STORIES
            if (lane := first_lane.get(username))
            and (ym := notice if story in ("late", "ignored") else overdue) in self.months
        )
        return DemoPresent(today, month, overdue, notice, chase_from, held)

    def _tasks(self, user: User, role: str) -> list[Task]:
        return list(
            Task.objects.filter(plan=self.plan).active().for_unit(user.unit_id, role=role)
            .prefetch_related("indicators", "assignments__unit").order_by("sort_order")
        )

    # --- scheduling ---

    def add(self, at: datetime.datetime, run: Callable[[], object], label: str) -> datetime.datetime:
        self.steps.append(_Step(at, len(self.steps), run, label))
        return at

    def time(self, day: datetime.date, rng: random.Random, hours: tuple[int, int]) -> datetime.datetime:
        minute = rng.randint(hours[0] * 60, hours[1] * 60 + 30)
        return datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tzinfo=self.tz)

    def after(self, before: datetime.datetime, rng: random.Random, kind: str) -> datetime.datetime:
        (low, high), hours = _GAPS[kind]
        gap = rng.randint(low, high)
        day = before.astimezone(self.tz).date()
        day = self.days.shift(day, gap) if gap else day
        at = self.time(day, rng, hours)
        return at if at > before else before + datetime.timedelta(minutes=rng.randint(10, 90))

    def flow(self, steps: list[tuple[str, Callable]], rng: random.Random, submit_day: datetime.date,
             label: str) -> datetime.datetime:
        """Schedule a filing's steps: drafted on or a little before the day it is submitted, then
        reviewed over the following working days. Returns the time of the last step."""
        draft_day = self.days.shift(submit_day, -rng.choice((0, 0, 0, 1, 2)))
        at = self.add(self.time(draft_day, rng, (9, 11)), steps[0][1], f"{label} {steps[0][0]}")
        submit_at = self.time(submit_day, rng, (14, 16))
        submit_at = submit_at if submit_at > at else at + datetime.timedelta(hours=1)
        at = self.add(submit_at, steps[1][1], f"{label} {steps[1][0]}")
        for kind, run in steps[2:]:
            at = self.add(self.after(at, rng, kind), run, f"{label} {kind}")
        return at

    def filing_steps(self, *, user: User, save: Callable[[], Filing], fix: Callable[[], Filing] | None,
                     comment: str, stop: str | None = None) -> list[tuple[str, Callable]]:
        """draft → submitted → (returned → fixed → resubmitted →) approved, as named steps;
        ``stop`` leaves the filing as a draft, submitted or returned."""
        held: dict[str, Filing] = {}

        def draft():
            held["filing"] = save()

        def submit():
            held["filing"] = filing_submit(user=user, filing=held["filing"])

        def refix():
            held["filing"] = fix()

        def review(action: str, text: str = "") -> Callable:
            return lambda: held.update(filing=filing_review(
                user=self.office, filing=held["filing"], action=action, comment=text))

        steps = [("draft", draft), ("submit", submit)]
        if fix is not None:
            steps += [("return", review(ReviewAction.RETURN, comment)), ("fix", refix), ("resubmit", submit)]
        steps.append(("approve", review(ReviewAction.APPROVE)))
        return steps[:{"draft": 1, "submitted": 2, "returned": 3}.get(stop or "", len(steps))]

    # --- the months ---

    def month(self, ym: YearMonth) -> None:
        year, month = ym
        opened = datetime.datetime.combine(datetime.date(year, month, 1), datetime.time(0, 5), tzinfo=self.tz)
        self.add(opened, lambda: self.periods.__setitem__(ym, period_open(year=year, month=month)),
                 f"{_month_label(ym)} 打开填报期")
        due, _ = period_due_date(year=year, month=month)
        last, held = opened, False
        for lane in self.lead_lanes:
            story = self.held.get((lane.task.pk, lane.user.pk, ym))
            if story:
                held = True
                self.held_report(lane, ym, story, due)
            else:
                last = max(last, self.report(lane, ym, due=due))
        for lane in self.support_lanes:
            rng = lane.rng(ym, "contributes")
            if rng.random() < CONTRIBUTION_RATE * (2 if month % 3 == 0 else 1):
                last = max(last, self.contribution(lane, ym, due=due))
        # The office closes the month the working day after its last review — unless a demo
        # unit still owes its report (the present): the month stays open for it.
        closing_day = self.days.shift(last.astimezone(self.tz).date(), 1)
        closing = self.time(closing_day, random.Random(str(ym)), (17, 17))
        if not held:
            self.add(closing, lambda: period_close(period=self.periods[ym], user=self.office),
                     f"{_month_label(ym)} 关闭填报期")
        self.add(closing, self.mark_read, f"{_month_label(ym)} 消息已读")

    def held_report(self, lane: _Lane, ym: YearMonth, story: str, due: datetime.date) -> None:
        """A report left undone by its due date (``HELD_STORIES``): a draft two working days
        before it; or handed in two working days after the 督办单 would go out, and approved."""
        rng = lane.rng(ym, "held")
        if story == "draft":
            self.report(lane, ym, stop="draft", times=[self.time(self.days.shift(due, -2), rng, (9, 11))])
        elif story == "late":
            handed = self.days.shift(due, settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS + 2)
            times = [self.time(handed, rng, (9, 11)), self.time(handed, rng, (14, 16)),
                     self.time(self.days.shift(handed, 1), rng, (9, 16))]
            self.report(lane, ym, stop="approved", times=times)

    def mark_read(self) -> None:
        """Everyone has read the month's messages by the time it is closed."""
        for user in self.readers:
            notifications_mark_read(user=user)

    def report(self, lane: _Lane, ym: YearMonth, *, due: datetime.date | None = None, stop: str | None = None,
               times: list[datetime.datetime] | None = None) -> datetime.datetime:
        """The lane's report on the month: scheduled around ``due``, or at ``times`` and left at
        ``stop`` (today's month). Returns the time of its last step."""
        rng = lane.rng(ym, "timing")
        label = f"{_month_label(ym)} {lane.task.code} {lane.user.username} 进展填报"
        late = rng.random() < lane.late_rate
        returned = stop == "returned" or (stop is None and rng.random() < RETURN_RATE)
        content = self.writer.report(lane, ym, returned=returned)
        ledger = self.evidence and rng.random() < EVIDENCE_RATE

        def save(data: ReportInput = content.data, attach: bool = ledger) -> ProgressReport:
            files = [self.report_ledger(lane, ym, data)] if attach else []
            return report_save(user=lane.user, task=lane.task, period=self.periods[ym], data=data,
                               actuals=content.actuals, files=files)

        fix = (lambda: save(content.fixed, attach=False)) if returned else None
        steps = self.filing_steps(user=lane.user, save=save, fix=fix, comment=content.comment, stop=stop)
        if times:
            return self.add_at(steps, times, label)
        submit_day = self.days.shift(due, rng.randint(1, 4) if late else -rng.choice((0, 0, 1, 1, 2, 3, 4)))
        return self.flow(steps, rng, submit_day, label)

    @staticmethod
    def report_ledger(lane: _Lane, ym: YearMonth, data: ReportInput) -> SimpleUploadedFile:
        """The month's ledger as 佐证材料 (made when the step plays: its date is the clock's)."""
        label = _month_label(ym)
        content = _ledger(f"{lane.user.unit.short_name}{label}工作台账", ["序号", "工作任务", "完成情况", "月份"],
                          [[1, lane.task.title, data.completed, label]], timezone.now())
        return SimpleUploadedFile(f"{lane.task.code}工作台账（{label}）.xlsx", content)

    def contribution(self, lane: _Lane, ym: YearMonth, *, due: datetime.date | None = None,
                     stop: str | None = None, times: list[datetime.datetime] | None = None) -> datetime.datetime:
        """A supporting lane's 配合情况, like ``report``."""
        rng = lane.rng(ym, "contribution-timing")
        label = f"{_month_label(ym)} {lane.task.code} {lane.user.username} 配合情况"
        returned = stop == "returned" or (stop is None and rng.random() < RETURN_RATE / 2)
        text, comment, fixed = self.writer.contribution(lane, ym, returned=returned)

        def save(value: str = text) -> Contribution:
            return contribution_save(user=lane.user, task=lane.task, period=self.periods[ym], text=value)

        fix = (lambda: save(fixed)) if returned else None
        steps = self.filing_steps(user=lane.user, save=save, fix=fix, comment=comment, stop=stop)
        if times:
            return self.add_at(steps, times, label)
        # Before the lead unit's report is due, so that the lead can take it in.
        late = rng.random() < LATE_RATE / 2
        submit_day = self.days.shift(due, rng.randint(1, 2) if late else -rng.randint(1, 4))
        return self.flow(steps, rng, submit_day, label)

    def annual_plan(self, lane: _Lane, year: int) -> None:
        rng = lane.rng(year, "annual-timing")
        returned = rng.random() < RETURN_RATE
        text, comment, fixed = self.writer.annual_plan(lane, year, returned=returned)

        rows = [[n, measure, rng.choice(_DEPARTMENTS), f"{year}年{n * 3}月底"]
                for n, measure in enumerate(_measures(lane.task)[:4], 1)]

        def save(value: str = text, attach: bool = self.evidence) -> AnnualWorkPlan:
            files = []
            if attach:
                content = _ledger(f"{lane.task.code} {lane.task.title} {year}年度工作台账",
                                  ["序号", "工作任务", "责任科室", "完成时限"], rows, timezone.now())
                files = [SimpleUploadedFile(f"{year}年度工作台账（{lane.task.code}）.xlsx", content)]
            return annual_plan_save(user=lane.user, task=lane.task, year=year, content=value, files=files)

        fix = (lambda: save(fixed, attach=False)) if returned else None
        steps = self.filing_steps(user=lane.user, save=save, fix=fix, comment=comment)
        january = datetime.date(year, 1, 1)
        late = rng.random() < 0.05
        if late:
            submit_day = self.days.shift(datetime.date(year, 2, 1), rng.randint(0, 4))
        else:
            submit_day = self.days.shift(january, rng.randint(6, 14))
        self.flow(steps, rng, submit_day, f"{year}年 {lane.task.code} {lane.user.username} 年度工作方案")

    # --- today's month, inside the plan ---

    def present_month(self, ym: YearMonth) -> None:
        """Today's month: reports returned, awaiting review, drafted and approved, contributions
        submitted and drafted, filed in the office hours of the last week; the other lead tasks
        not begun (their reports are due next month)."""
        opened = datetime.datetime.combine(datetime.date(ym[0], ym[1], 1), datetime.time(0, 5), tzinfo=self.tz)
        opened = min(opened, self.now - datetime.timedelta(hours=2))
        self.add(opened, lambda: self.periods.__setitem__(ym, period_open(year=ym[0], month=ym[1])),
                 f"{_month_label(ym)} 打开填报期")
        until = self.now - datetime.timedelta(minutes=10)
        hours = self.office_hours(max(opened, self.now - datetime.timedelta(days=7)), until)
        for kind, lane, stop in self.present_picks():
            rng = lane.rng(ym, "current", kind)
            count = {"draft": 1, "submitted": 2, "returned": 3, "approved": 3}[stop]
            times = sorted(self.moment(hours, rng.random()) for _ in range(count))
            for j in range(1, count):
                times[j] = max(times[j], times[j - 1] + datetime.timedelta(minutes=rng.randint(5, 30)))
            # Every step has happened by now: a filing pushed past it moves back as a whole.
            late = max(times[-1] - until, datetime.timedelta())
            times = [t - late for t in times]
            filing = self.report if kind == "report" else self.contribution
            filing(lane, ym, stop=stop, times=times)

    def office_hours(self, since: datetime.datetime, until: datetime.datetime) -> list[_Span]:
        """The working hours (9:00–17:30 on working days) between two moments, or the whole span
        when none falls in it."""
        spans = []
        for day in _WorkingDays(since.astimezone(self.tz).date(), until.astimezone(self.tz).date()).dates:
            begin = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=self.tz)
            end = datetime.datetime.combine(day, datetime.time(17, 30), tzinfo=self.tz)
            if max(begin, since) < min(end, until):
                spans.append((max(begin, since), min(end, until)))
        return spans or [(since, until)]

    @staticmethod
    def moment(spans: list[_Span], share: float) -> datetime.datetime:
        """The moment ``share`` (0–1) of the way through the spans' total length."""
        left = share * sum((end - begin for begin, end in spans), datetime.timedelta())
        for begin, end in spans:
            if left <= end - begin:
                return begin + left
            left -= end - begin
        return spans[-1][1]

    def present_picks(self) -> list[tuple[str, _Lane, str]]:
        """One lead task after another across the accounts, the least advanced first (not those
        whose report of a month past is left undone)."""
        held = {(task_id, user_id) for task_id, user_id, _ in self.held}
        by_user: dict[str, list[_Lane]] = {}
        for lane in self.lead_lanes:
            if (lane.task.pk, lane.user.pk) not in held:
                by_user.setdefault(lane.user.username, []).append(lane)
        queues = [sorted(lanes, key=lambda lane: lane.progress[-1]) for lanes in by_user.values()]
        stops = ["returned", "submitted", "draft", "approved", "submitted", "draft", "submitted", "approved", "draft"]
        picks, turn = [], 0
        while stops and any(queues):
            queue = queues[turn % len(queues)]
            if queue:
                picks.append(("report", queue.pop(0), stops.pop(0)))
            turn += 1
        support: dict[str, list[_Lane]] = {}
        for lane in self.support_lanes:
            support.setdefault(lane.user.username, []).append(lane)
        for lanes in support.values():
            stops = ("submitted", "draft")
            picks += [("contribution", lane, stop) for lane, stop in zip(lanes, stops, strict=False)]
        return picks

    def add_at(self, steps: list[tuple[str, Callable]], times: list[datetime.datetime], label: str,
               ) -> datetime.datetime:
        for (kind, run), at in zip(steps, times, strict=True):
            self.add(at, run, f"{label} {kind}")
        return times[-1]

    # --- playing it ---

    def schedule(self) -> None:
        for ym in self.months:
            if ym[1] == 1:
                for lane in self.lead_lanes:
                    self.annual_plan(lane, ym[0])
            if self.present and ym == self.present.month:
                self.present_month(ym)
            else:
                self.month(ym)

    def play(self) -> None:
        demo_play(self.steps, now=self.now)


def demo_play(steps: Iterable, *, now: datetime.datetime) -> None:
    """Each step (``at``, ``run``) at its time, in time order (steps of the same time in the
    order given); what would happen after now does not happen. Scripts of several layers
    (dispatch, the ladder) are played as one by passing their steps together."""
    with DemoClock(now).running() as clock:
        for step in sorted(steps, key=lambda s: s.at):
            if step.at <= now:
                clock.at = step.at
                step.run()


def demo_plan_arrival(start_year: int) -> datetime.datetime:
    """When the demo plan is imported on a new database: the first working day of its first
    year, before anything is reported on it."""
    day = add_working_days(datetime.date(start_year - 1, 12, 31), 1).date
    return datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=timezone.get_current_timezone())


def demo_history_exists(plan: ActionPlan) -> bool:
    return ProgressReport.objects.filter(task__plan=plan).exists()


def demo_history_schedule(
    *, plan: ActionPlan, months: Sequence[YearMonth] | None = None, now: datetime.datetime | None = None,
    seed: str = "xixian-demo", evidence: bool = True,
) -> _History:
    """The script of ``plan``'s demo history, not yet played: its months (all of them up to
    today's unless given), its ``steps`` and, when today is inside the plan, its ``present``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    months = months or [ym for ym in plan.months if ym <= (today.year, today.month)]
    history = _History(plan=plan, months=months, now=now, seed=seed, evidence=evidence)
    history.schedule()
    return history


def demo_history_build(
    *, plan: ActionPlan, months: Sequence[YearMonth] | None = None, now: datetime.datetime | None = None,
    seed: str = "xixian-demo", evidence: bool = True,
) -> DemoHistory | None:
    """Build the demo history of ``plan`` (all its months up to today's unless given); None when
    the plan already has progress reports — the history is there, or real use has begun."""
    if demo_history_exists(plan):
        return None
    history = demo_history_schedule(plan=plan, months=months, now=now, seed=seed, evidence=evidence)
    with jobs_in_process(), transaction.atomic():
        history.play()
    return demo_history_counts(plan)


def demo_history_counts(plan: ActionPlan) -> DemoHistory:
    reports = ProgressReport.objects.filter(task__plan=plan)
    annual = AnnualWorkPlan.objects.filter(task__plan=plan)
    open_reports = reports.filter(period__status=PeriodStatus.OPEN)
    return DemoHistory(
        reports=reports.count(),
        late=reports.filter(is_late=True).count(),
        returned=reports.filter(events__action=ReviewAction.RETURN).distinct().count(),
        contributions=Contribution.objects.filter(task__plan=plan).count(),
        annual_plans=annual.count(),
        late_annual_plans=annual.filter(is_late=True).count(),
        open_drafts=open_reports.filter(status=FilingStatus.DRAFT).count(),
        open_submitted=open_reports.filter(status=FilingStatus.SUBMITTED).count(),
        open_returned=open_reports.filter(status=FilingStatus.RETURNED).count(),
    )
