"""演示督查: the seed plan's quarterly inspections (专项督查) as the demo accounts would have lived
them; and, on the demo plan in force today, the present — its dispatch played with the ladder
chasing its reports over the last weeks, and the current quarter's round in progress.

Every quarter of the plan has a joint special inspection (四不两直) by the inspector accounts: the
quarterly job opens the round, the inspectors plan its scope (a few demo units and their tasks),
visit, log findings and conclude the round with a written conclusion. Each finding then lives
one of a few lives, all ending in close-out (销号): rectified and closed directly; rejected once
and closed after the unit revised it; an extension granted and closed by the new date; an
extension refused, the due date missed, 催办 and 督办单 answered, closed late; or overdue without
asking, chased up the ladder and closed late. The escalation ladder is the portal's own: the
daily scan (``deadline_scan``) runs on every day a step of it can fall due, and compiles last
month's 通报 as it does every month it runs.

The present (``demo_present_build``, on the plan in force today): today's quarter has a round in
progress with findings in every state a person should find on logging in: open, due soon (提醒
sent), being rectified, rejected and being revised, handed in for verification, overdue with 催办
only, overdue with a 督办单 (answered or not), one extension request awaiting the office, and a few
already closed. The plan's monthly dispatch (``tasks.demo_history``) is played in the same
timeline with the daily scan of monthly reports on every working day of the last weeks, so that
the demo units' reports left undone (``DemoPresent.held``) are chased as the portal would chase
them — 提醒, 催办 on the due date, a 督办单 five working days later — and the units answer some.

As ``tasks.demo_history`` does, everything goes through the services a user would call, with
Django's clock set to when each step happened, so that events, history rows, ladder steps,
notice numbers and inbox messages are what the portal itself would have recorded. The ladder
of the plan's quarters chases findings only: the dispatch history was played before and without
it (the demo units' late reports were handed in long ago), and the units without demo accounts
never report, so chasing their reports over three years would bury the findings in thousands of
steps about nobody. The present's scans chase reports over a few weeks only, as the running
portal does: the units without demo accounts are chased too (they never report).
"""

from __future__ import annotations

import datetime
import io
import random
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from openpyxl import Workbook

from supervision.choices import (
    ExtensionStatus,
    FindingAction,
    FindingStatus,
    InspectionMethod,
    ItemKind,
    Level,
    RoundStatus,
)
from supervision.models import Bulletin, Escalation, ExtensionRequest, Finding, InspectionRound
from supervision.services.inspections import (
    FindingInput,
    RoundInput,
    extension_decide,
    extension_request,
    finding_create,
    finding_rectification_save,
    finding_submit,
    finding_verify,
    round_open_quarter,
    round_update,
)
from supervision.services.ladder import bulletin_compile, deadline_scan, escalation_reply
from tasks.choices import AssignmentRole, FilingStatus, Role
from tasks.demo import DEMO_ACCOUNTS, DEMO_REVIEWER
from tasks.demo_history import (
    DemoHistory,
    DemoPresent,
    HeldReport,
    demo_clock,
    demo_history_counts,
    demo_history_exists,
    demo_history_schedule,
    demo_play,
    jobs_in_process,
)
from tasks.models import (
    ActionPlan,
    Notification,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskAssignment,
    User,
)
from tasks.services.dispatch import period_due_date
from tasks.services.inbox import notifications_mark_read
from tasks.workdays import WorkingCalendar

Quarter = tuple[int, int]

# The demo units' accounts, in the order the rounds take them up.
DEMO_FINDING_UNITS = ("shenpi", "shichang", "gaige", "nongye", "fengdong", "xixianjituan")
SCAN_TIME = datetime.time(8, 30)  # the beat's deadline scan (xixian_portal/celery.py)
OPEN_TIME = datetime.time(8, 0)  # the beat's quarterly round
# The scans of the plan's quarters chase findings only, the present's of reports only (see the
# module's docstring): each item is chased by one script, on the days it plays.
FINDINGS_ONLY = frozenset({ItemKind.FINDING})
REPORTS_ONLY = frozenset({ItemKind.REPORT})

# The lives of the plan's findings, dealt out in turn across the quarters.
# Two quarters' worth: the late ones share a quarter, so that its month's 通报 names both units.
PATHS = ("direct", "rejected", "overdue", "refused", "direct", "extended", "rejected", "direct")


# --- what was written ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Issue:
    """A finding's text and what the unit wrote about it."""

    description: str
    measures: str
    result: str
    reject: str  # the inspector's reason when the first rectification falls short
    revision: str  # what the unit adds when it revises


_ISSUES = [
    _Issue("政务服务大厅窗口一次性告知落实不到位，抽查办件{n}件，其中{m}件企业反映多次补交材料。",
           "对窗口人员开展一次性告知专题培训；逐项梳理事项材料清单，制作一次性告知单，在窗口和网上同步公开。",
           "已完成{n}项事项一次性告知单编制并上墙公示，组织培训{k}场，回访企业{m}家，未再发现多次补交材料情况。",
           "整改结果缺少回访企业的记录，请补充回访台账。",
           "补充企业回访台账，回访企业均表示一次性告知到位。"),
    _Issue("网上办事指南与窗口实际收件要求不一致，{m}项事项的申请材料清单未同步更新。",
           "建立办事指南动态更新机制，对照窗口收件标准逐项核对网上办事指南。",
           "已核对更新办事指南{n}项，网上与窗口材料清单一致，明确由综合科每月核对一次。",
           "仅说明已更新，未附更新前后对照表，请补充。",
           "补充办事指南更新前后对照表{m}份。"),
    _Issue("抽查{n}个工程建设项目审批档案，{m}个项目超过承诺时限办结，且未说明超时原因。",
           "逐一核查超时项目原因，约谈相关科室负责人；将承诺时限纳入审批系统节点预警。",
           "已查明{m}个超时项目原因并书面说明，审批系统已上线超时预警功能，近一个月无超时办件。",
           "超时原因分析不够具体，请逐个项目说明并明确责任人。",
           "逐个项目补充超时原因说明，明确责任科室和责任人。"),
    _Issue("工作台账更新不及时，近两个月推进情况缺少会议纪要、办件记录等佐证材料。",
           "明确专人负责工作台账，按周更新；补齐近两个月的会议纪要和办件记录。",
           "工作台账已补齐并按周更新，补充会议纪要{k}份、办件记录{n}条。",
           "台账仍有{k}周未更新，请补齐后再提交。",
           "已补齐全部周次台账，并建立台账更新提醒。"),
    _Issue("涉企收费公示不完整，{m}项收费未在公示栏明示收费依据和标准。",
           "全面清理涉企收费项目，在服务大厅公示栏和门户网站公开收费依据、标准和投诉电话。",
           "已公示收费项目{n}项，收费依据和标准全部公开，设立投诉电话并专人受理。",
           "网站公示未更新，请同步更新网上公示内容。",
           "门户网站收费公示已同步更新，附网页截图。"),
    _Issue("“好差评”差评件整改回访不及时，{m}件差评超过规定时限未回访。",
           "对差评件逐件核实整改，明确差评件1个工作日内联系、5个工作日内回访的工作要求。",
           "{m}件差评已全部回访，其中整改到位{m}件，企业满意度回升。",
           "回访记录缺少企业确认，请补充。",
           "补充企业确认的回访记录{m}份。"),
    _Issue("帮办代办服务记录不完整，{m}个重点项目缺少服务过程记录。",
           "统一帮办代办服务记录模板，补录重点项目服务过程，纳入项目服务台账。",
           "已补录{m}个重点项目服务记录，全部项目服务记录纳入台账管理。",
           "服务记录未体现解决问题的结果，请补充。",
           "补充每个项目协调解决问题的情况和结果。"),
    _Issue("12345热线转办的{m}件企业诉求未按时办结反馈。",
           "对逾期诉求逐件督办办结；建立诉求办理日调度机制，专人跟踪办理时限。",
           "{m}件诉求已全部办结并反馈企业，日调度机制已运行，近期诉求按时办结率100%。",
           "请补充诉求办结后企业的评价情况。",
           "补充企业评价情况，满意{m}件。"),
    _Issue("惠企政策兑现需企业提交{k}份证明材料，其中部分材料可通过部门间共享获取。",
           "梳理政策兑现申报材料，能通过共享获取的一律不再要求企业提交，推行“免申即享”。",
           "申报材料由{k}份精简为2份，{n}家企业通过“免申即享”兑现政策。",
           "精简后的申报指南尚未公开，请公开后再提交。",
           "精简后的申报指南已在门户网站公开。"),
    _Issue("“双随机、一公开”抽查结果未在规定时限内向社会公示。",
           "对已完成的抽查任务结果集中公示，将结果公示纳入抽查工作流程节点管理。",
           "已公示抽查结果{n}批次，今后抽查结果在检查完成后20个工作日内公示。",
           "部分批次仍未公示，请补全。",
           "剩余批次抽查结果已全部公示。"),
    _Issue("窗口工作人员对新出台政策掌握不准确，现场答复企业咨询存在偏差。",
           "组织新政策专题学习，编制常见问题解答口径，实行首问负责和答复复核。",
           "组织专题学习{k}次，编制问答口径{n}条，随机抽测窗口人员{m}名，全部答复准确。",
           "请补充抽测记录。",
           "补充窗口人员政策抽测记录。"),
    _Issue("部分事项仍要求企业提供纸质材料，“一网通办”落实不到位。",
           "梳理仍需纸质材料的事项，推进电子证照和电子签章应用，实现全程网办。",
           "已实现{n}项事项全程网办，不再要求企业提供纸质材料。",
           "仍有{m}项事项未实现全程网办，请说明原因和时限。",
           "说明剩余事项需市级系统对接，已明确完成时限并纳入台账。"),
]
_HOW = ["现场暗访发现：", "随机抽查办件发现：", "走访企业了解到：", "查阅资料发现：", "模拟企业办事体验发现："]
_CLOSE_COMMENTS = ["经核验，整改到位，予以销号。", "现场复核整改到位，同意销号。", "整改措施落实到位，佐证材料齐全，予以销号。"]
_LATE_CLOSE = "整改已完成，但逾期提交，已纳入本月通报，予以销号。"
_EXTENSION_REASONS = [
    "整改涉及业务系统改造，需市级部门配合对接，原期限内难以完成，申请延期。",
    "整改需重新梳理全部事项材料清单并征求相关部门意见，申请延期。",
    "整改涉及的设备采购需履行政府采购程序，申请延期。",
]
_GRANT = "理由充分，同意延期，请按新的期限完成整改。"
_REFUSE = "该问题整改难度不大，应按原期限完成，不同意延期。"
_URGE_REPLIES = ["收到催办，已安排专人负责，{k}个工作日内提交整改情况。",
                 "收到催办，我单位正在加紧整改，将尽快提交核验。"]
_NOTICE_REPLIES = ["收到督办单，单位主要负责同志已专题研究部署，整改情况将于限期内书面反馈。",
                   "收到督办单，已明确分管领导和责任科室，限期内完成整改并提交核验。"]
_SUMMARIES = ["一次性告知不到位、台账更新不及时", "办事指南更新不同步、超时办结", "涉企收费公示不完整、诉求办理不及时",
              "政策兑现材料繁琐、窗口答复不准确"]
_REPORT_URGE_REPLIES = {"late": "收到催办，本月进展正在汇总，将尽快提交。",
                        "ignored": "收到催办，相关数据正在核实，核实后即提交进展填报。"}
_REPORT_NOTICE_REPLY = "收到督办单，已明确专人负责，进展填报将于两个工作日内提交。"


def _numbers(rng: random.Random) -> dict[str, int]:
    return {"n": rng.randint(8, 40), "m": rng.randint(2, 7), "k": rng.randint(2, 5)}


@dataclass(frozen=True)
class _Text:
    description: str
    measures: str
    result: str
    reject: str
    revised_result: str

    @classmethod
    def of(cls, issue: _Issue, rng: random.Random) -> _Text:
        numbers = _numbers(rng)
        result = issue.result.format(**numbers)
        return cls(rng.choice(_HOW) + issue.description.format(**numbers), issue.measures.format(**numbers),
                   result, issue.reject.format(**numbers), f"{result}{issue.revision.format(**numbers)}")


def _workbook(title: str, header: list[str], rows: list[list[object]]) -> bytes:
    """A small xlsx, dated by the clock: what a unit or an inspector attaches."""
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.properties.creator = "西咸新区"
    book.properties.created = timezone.now().astimezone(datetime.UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the calendar and the script -------------------------------------------------------------


class _Days:
    """The working days of a span, read once from the portal's calendar (the services count
    on the same calendar, so the due dates scheduled here are the ones they compute)."""

    def __init__(self, start: datetime.date, end: datetime.date):
        self.dates = [d.date for d in WorkingCalendar(start, end).days(start, end) if d.is_working]

    def shift(self, date: datetime.date, count: int) -> datetime.date:
        """``count`` working days from ``date`` (a day off counts as the next working day)."""
        return self.dates[bisect_left(self.dates, date) + count]

    def on_or_before(self, date: datetime.date) -> datetime.date:
        return self.dates[bisect_left(self.dates, date + datetime.timedelta(days=1)) - 1]


@dataclass
class _Step:
    at: datetime.datetime
    order: int
    run: Callable[[], object]
    label: str


@dataclass
class _Life:
    """One finding as scheduled: who, what, when it was found and its deadline."""

    label: str
    quarter: Quarter
    user: User
    task: Task
    found: datetime.datetime
    deadline: int
    severity: str
    text: _Text
    inspection_file: bool = False
    held: dict = field(default_factory=dict)

    @property
    def finding(self) -> Finding:
        return self.held["finding"]


@dataclass(frozen=True)
class DemoSupervision:
    """What the demo's supervision holds after the build (the summary the command prints)."""

    rounds: int
    concluded: int
    findings: int
    by_status: dict[str, int]
    rejected: int
    extensions: dict[str, int]
    escalations: dict[str, int]
    replies: int
    bulletins: int

    def summary(self) -> str:
        statuses = "、".join(f"{FindingStatus(s).label} {n} 个" for s, n in sorted(self.by_status.items()))
        levels = "、".join(f"{Level(lv).label} {n} 条" for lv, n in sorted(self.escalations.items(),
                                                                       key=lambda i: Level(i[0]).rank))
        extensions = "、".join(f"{ExtensionStatus(s).label} {n} 份" for s, n in sorted(self.extensions.items()))
        return (f"演示督查：督查轮次 {self.rounds} 轮（已结束 {self.concluded} 轮），督查问题 {self.findings} 个"
                f"（{statuses}；曾被退回整改 {self.rejected} 个），延期申请 {extensions or '无'}；"
                f"督办记录 {levels or '无'}，单位回复 {self.replies} 条，月度通报 {self.bulletins} 期。")


class _Supervision:
    """The rounds and the findings' lives as a script: ``schedule`` writes it, ``play`` runs it
    in time order under the demo clock (what would happen after now does not happen)."""

    def __init__(self, *, plan: ActionPlan, now: datetime.datetime, quarters: list[Quarter], current: bool, seed: str,
                 present: DemoPresent | None = None):
        self.plan, self.now, self.seed, self.present = plan, now, seed, present
        self.tz = timezone.get_current_timezone()
        self.today = now.astimezone(self.tz).date()
        self.quarters = sorted(quarters)
        self.current = current
        self.steps: list[_Step] = []
        self.scans: set[datetime.date] = set()
        self.bulletins: set[tuple[int, int]] = set()
        self.rounds: dict[Quarter, InspectionRound] = {}
        accounts = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}
        self.readers = list(accounts.values())
        self.office = accounts[DEMO_REVIEWER]
        self.team = sorted((u for u in self.readers if u.role == Role.INSPECTOR), key=lambda u: u.username)
        self.inspector = self.team[0]
        self.unit_staff = [accounts[name] for name in DEMO_FINDING_UNITS if name in accounts]
        self.tasks = {user.username: self._tasks(user) for user in self.unit_staff}
        years = [self.plan.start_year, self.plan.end_year, *(y for y, _ in self.quarters)]
        self.days = _Days(datetime.date(min(years), 1, 1) - datetime.timedelta(days=60),
                          max(self.today, datetime.date(max(years), 12, 31)) + datetime.timedelta(days=150))

    def _tasks(self, user: User) -> list[Task]:
        """The tasks a unit is inspected on: those it leads, else those it supports."""
        tasks = Task.objects.filter(plan=self.plan).active().order_by("sort_order")
        return list(tasks.for_unit(user.unit_id, role=AssignmentRole.LEAD)) or list(
            tasks.for_unit(user.unit_id, role=AssignmentRole.SUPPORTING))

    def rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(map(str, (self.seed, *parts))))

    # --- scheduling ---

    def add(self, at: datetime.datetime, run: Callable[[], object], label: str) -> None:
        self.steps.append(_Step(at, len(self.steps), run, label))

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    def when(self, day: datetime.date, rng: random.Random, hours: tuple[int, int]) -> datetime.datetime:
        minute = rng.randint(hours[0] * 60, hours[1] * 60)
        return self.at(day, minute // 60, minute % 60)

    def scan_around(self, due: datetime.date) -> None:
        """The days a due date's ladder steps fall on: 提醒 N working days before, 催办 on the
        day, 督办单 M working days after (the settings)."""
        for day in (self.days.shift(due, -settings.LADDER_REMINDER_WORKING_DAYS), due,
                    self.days.shift(due, settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS)):
            self.scans.add(day)

    def schedule(self) -> None:
        cycle = 0
        for index, quarter in enumerate(self.quarters):
            cycle = self.quarter(quarter, index, cycle)
        self.add_scans()
        self.mark_read_monthly()
        if self.current:
            self.current_round()
            self.add_scans()
        if self.present:
            self.chase_reports(self.present)
        self.add_bulletins()

    def add_scans(self) -> None:
        """The morning scans of the days collected so far."""
        for day in sorted(self.scans):
            self.add(datetime.datetime.combine(day, SCAN_TIME, tzinfo=self.tz),
                     lambda day=day: deadline_scan(today=day, kinds=FINDINGS_ONLY, compile_bulletin=False), f"{day} 督办扫描")
        self.scans.clear()

    def notice_on(self, day: datetime.date) -> None:
        """A 督办单 goes out that day: the office files the month's 通报 (月度通报)."""
        self.bulletins.add((day.year, day.month))

    def add_bulletins(self) -> None:
        """The office compiles each such month's 通报 on the first working day of the next, after
        the morning scan. (The scan would compile last month's 通报 itself, every month it runs:
        the demo leaves that to the live scan; see the module's docstring.)"""
        for year, month in sorted(self.bulletins):
            following = datetime.date(year + month // 12, month % 12 + 1, 1)
            self.add(self.at(self.days.shift(following, 0), 10),
                     lambda year=year, month=month: bulletin_compile(year=year, month=month, user=self.office),
                     f"{year}年{month}月 通报")

    # --- the plan's quarters ---

    def open_round(self, quarter: Quarter, at: datetime.datetime) -> None:
        """The quarterly job (its day decides the quarter: the first of the quarter)."""
        first = datetime.date(quarter[0], 3 * quarter[1] - 2, 1)

        def run():
            self.rounds[quarter] = round_open_quarter(today=first)[0]

        self.add(at, run, f"{quarter[0]}Q{quarter[1]} 建立督查轮次")

    def plan_round(self, quarter: Quarter, at: datetime.datetime, *, users: list[User], tasks: list[Task],
                   start: datetime.date, end: datetime.date) -> None:
        def run():
            round_ = self.rounds[quarter]
            round_update(user=self.inspector, round_=round_, data=self.round_input(
                round_, users=users, tasks=tasks, start=start, end=end))

        self.add(at, run, f"{quarter[0]}Q{quarter[1]} 安排督查")

    def conclude_round(self, quarter: Quarter, at: datetime.datetime, *, users: list[User], tasks: list[Task],
                       start: datetime.date, end: datetime.date, findings: int) -> None:
        rng = self.rng(quarter, "conclusion")
        names = "、".join(u.unit.short_name for u in users)
        conclusion = (
            f"本轮督查采取“四不两直”方式，于{start:%m月%d日}至{end:%m月%d日}深入{names}等{len(users)}个单位，"
            f"通过暗访窗口、抽查办件、走访企业等方式开展专项督查，共发现问题{findings}个，已现场反馈并交办"
            f"责任单位限期整改。总体看，各单位能够按照行动方案要求推进任务落实，但仍存在"
            f"{rng.choice(_SUMMARIES)}等问题。下一步，督查室将跟踪整改落实情况，逐项核验销号。"
        )

        def run():
            round_ = self.rounds[quarter]
            data = self.round_input(round_, users=users, tasks=tasks, start=start, end=end)
            data.status, data.conclusion = RoundStatus.CONCLUDED, conclusion
            round_update(user=self.inspector, round_=round_, data=data)

        self.add(at, run, f"{quarter[0]}Q{quarter[1]} 督查结束")

    def round_input(self, round_: InspectionRound, *, users: list[User], tasks: list[Task],
                    start: datetime.date, end: datetime.date) -> RoundInput:
        return RoundInput(year=round_.year, quarter=round_.quarter, title=round_.title,
                          method=InspectionMethod.FOUR_NOS, start_date=start, end_date=end,
                          status=round_.status, team=self.team, units=[u.unit for u in users], tasks=tasks)

    def quarter(self, quarter: Quarter, index: int, cycle: int) -> int:
        """A plan quarter: opened on its first day, visited in its second month over two or three
        days, four findings on three units, concluded a few days after; returns the next path."""
        year, q = quarter
        rng = self.rng(quarter, "round")
        first = datetime.date(year, 3 * q - 2, 1)
        self.open_round(quarter, datetime.datetime.combine(first, OPEN_TIME, tzinfo=self.tz))
        start = self.days.shift(datetime.date(year, 3 * q - 1, 1), rng.randint(4, 10))
        visit = [self.days.shift(start, i) for i in range(rng.choice((2, 3)))]
        users = [self.unit_staff[(2 * index + i) % len(self.unit_staff)] for i in range(3)]
        picks = [*users, users[0]]
        tasks, lives = [], []
        for number, user in enumerate(picks):
            task = self.tasks[user.username][self.rng(quarter, user.username, number).randrange(len(self.tasks[user.username]))]
            if task not in tasks:
                tasks.append(task)
            path = PATHS[(cycle + number) % len(PATHS)]
            lives.append((self.life(quarter, number, user, task, visit[number % len(visit)]), path))
        self.plan_round(quarter, self.when(self.days.shift(start, -5), rng, (9, 11)),
                        users=users, tasks=tasks, start=visit[0], end=visit[-1])
        for life, path in lives:
            self.found(life)
            getattr(self, f"path_{path}")(life)
        self.conclude_round(quarter, self.when(self.days.shift(visit[-1], 3), rng, (15, 17)), users=users,
                            tasks=tasks, start=visit[0], end=visit[-1], findings=len(lives))
        return cycle + len(lives)

    def life(self, quarter: Quarter, number: int, user: User, task: Task, day: datetime.date,
             deadline: int | None = None, severity: str | None = None) -> _Life:
        rng = self.rng(quarter, number, "finding")
        issue = rng.choice(_ISSUES)
        deadline = deadline or rng.choice((10, 10, 15, 20))
        severity = severity or rng.choice(("general", "general", "general", "serious", "grave"))
        life = _Life(f"{quarter[0]}Q{quarter[1]}#{number + 1} {user.username}", quarter, user, task,
                     self.when(day, rng, (9, 16)), deadline, severity, _Text.of(issue, rng),
                     inspection_file=number == 0)
        return life

    def mark_read_monthly(self) -> None:
        """Everyone has read the month's messages by the first working day of the next: the
        history leaves no inbox full (the messages of today's round stay unread)."""
        past = [s.at.astimezone(self.tz).date() for s in self.steps]
        if not past:
            return
        month, last = min(past).replace(day=1), max(past)
        while month <= last:
            month = (month + datetime.timedelta(days=31)).replace(day=1)
            at = self.at(self.days.shift(month, 0), 18)

            def run(at=at):
                for user in self.readers:
                    ids = Notification.objects.filter(recipient=user, read_at__isnull=True,
                                                      created_at__lte=at).values_list("pk", flat=True)
                    notifications_mark_read(user=user, ids=list(ids))

            self.add(at, run, f"{month:%Y-%m} 消息已读")

    # --- a finding's steps ---

    def due(self, life: _Life) -> datetime.date:
        return self.days.shift(life.found.astimezone(self.tz).date(), life.deadline)

    def found(self, life: _Life) -> None:
        """登记问题 (the round's first finding with the inspection record attached)."""
        def run():
            files = []
            if life.inspection_file:
                content = _workbook("现场督查记录表", ["序号", "督查单位", "督查方式", "发现问题"],
                                    [[1, life.user.unit.short_name, "四不两直", life.text.description]])
                files = [SimpleUploadedFile(f"现场督查记录（{life.quarter[0]}年第{life.quarter[1]}季度）.xlsx", content)]
            data = FindingInput(unit=life.user.unit, description=life.text.description, severity=life.severity,
                                deadline_working_days=life.deadline, task=life.task,
                                found_on=life.found.astimezone(self.tz).date())
            life.held["finding"] = finding_create(user=self.inspector, round_=self.rounds[life.quarter],
                                                  data=data, files=files)

        self.add(life.found, run, f"{life.label} 登记问题")
        self.scan_around(self.due(life))

    def rectify(self, life: _Life, at: datetime.datetime, *, result: str | None = None, ledger: bool = False) -> None:
        """The unit saves its rectification (result empty: measures only, still at work)."""
        def run():
            files = []
            if ledger:
                content = _workbook(f"{life.user.unit.short_name}整改台账", ["序号", "问题", "整改措施", "整改结果"],
                                    [[1, life.text.description, life.text.measures, result or ""]])
                files = [SimpleUploadedFile(f"整改台账（{life.finding.number}）.xlsx", content)]
            finding_rectification_save(user=life.user, finding=life.finding, measures=life.text.measures,
                                       result=result or "", files=files)

        self.add(at, run, f"{life.label} 整改")

    def submit(self, life: _Life, at: datetime.datetime) -> None:
        self.add(at, lambda: finding_submit(user=life.user, finding=life.finding), f"{life.label} 提交核验")

    def verify(self, life: _Life, at: datetime.datetime, *, close: bool, comment: str) -> None:
        self.add(at, lambda: finding_verify(user=self.inspector, finding=life.finding, close=close, comment=comment),
                 f"{life.label} {'销号' if close else '退回整改'}")

    def ask_extension(self, life: _Life, at: datetime.datetime, until: datetime.date, reason: str) -> None:
        def run():
            life.held["extension"] = extension_request(user=life.user, finding=life.finding,
                                                       requested_due_date=until, reason=reason)

        self.add(at, run, f"{life.label} 申请延期")

    def decide_extension(self, life: _Life, at: datetime.datetime, *, grant: bool) -> None:
        self.add(at, lambda: extension_decide(user=self.office, extension=life.held["extension"], grant=grant,
                                              comment=_GRANT if grant else _REFUSE),
                 f"{life.label} {'同意' if grant else '不同意'}延期")

    def reply(self, life: _Life, at: datetime.datetime, level: str, text: str) -> None:
        def run():
            # The step the scan recorded for the finding's current due date (it must be there).
            escalation = Escalation.objects.filter(finding=life.finding, level=level).latest("created_at", "pk")
            escalation_reply(user=life.user, escalation=escalation, text=text)

        self.add(at, run, f"{life.label} 回复{Level(level).label}")

    def day(self, life: _Life, count: int) -> datetime.date:
        """``count`` working days from when it was found."""
        return self.days.shift(life.found.astimezone(self.tz).date(), count)

    # --- the historical lives, all ending in 销号 ---

    def path_direct(self, life: _Life) -> None:
        """Rectified and handed in before the due date (some on its eve, after the 提醒)."""
        rng, due = self.rng(life.label, "direct"), self.due(life)
        day = self.days.shift(due, -1) if rng.random() < 0.4 else self.day(life, rng.randint(2, life.deadline - 4))
        self.rectify(life, self.when(day, rng, (9, 11)), result=life.text.result, ledger=rng.random() < 0.6)
        self.submit(life, self.when(day, rng, (14, 16)))
        self.verify(life, self.when(self.days.shift(day, rng.randint(1, 3)), rng, (9, 16)),
                    close=True, comment=rng.choice(_CLOSE_COMMENTS))

    def path_rejected(self, life: _Life) -> None:
        """Handed in, rejected once with a reason, revised, handed in again and closed."""
        rng = self.rng(life.label, "rejected")
        first = self.day(life, rng.randint(2, 4))
        self.rectify(life, self.when(first, rng, (9, 11)), result=life.text.result)
        self.submit(life, self.when(first, rng, (14, 16)))
        rejected = self.days.shift(first, 2)
        self.verify(life, self.when(rejected, rng, (9, 11)), close=False, comment=life.text.reject)
        revised = self.days.shift(rejected, rng.randint(1, 2))
        self.rectify(life, self.when(revised, rng, (9, 11)), result=life.text.revised_result, ledger=True)
        self.submit(life, self.when(revised, rng, (14, 16)))
        self.verify(life, self.when(self.days.shift(revised, 2), rng, (9, 16)), close=True,
                    comment=rng.choice(_CLOSE_COMMENTS))

    def path_extended(self, life: _Life) -> None:
        """延期 granted the day the 提醒 came; handed in by the new date and closed."""
        rng, due = self.rng(life.label, "extended"), self.due(life)
        new_due = self.days.shift(due, 10)
        self.scan_around(new_due)
        self.rectify(life, self.when(self.day(life, 2), rng, (9, 11)))
        self.ask_extension(life, self.when(self.days.shift(due, -4), rng, (14, 17)), new_due, rng.choice(_EXTENSION_REASONS))
        self.decide_extension(life, self.when(self.days.shift(due, -3), rng, (10, 16)), grant=True)
        handed = self.days.shift(new_due, -2)
        self.rectify(life, self.when(handed, rng, (9, 11)), result=life.text.result, ledger=True)
        self.submit(life, self.when(handed, rng, (14, 16)))
        self.verify(life, self.when(new_due, rng, (10, 16)), close=True, comment=rng.choice(_CLOSE_COMMENTS))

    def path_refused(self, life: _Life) -> None:
        """延期 refused; the due date missed: 催办 and 督办单 answered, handed in late, closed."""
        rng, due = self.rng(life.label, "refused"), self.due(life)
        self.rectify(life, self.when(self.day(life, 3), rng, (9, 11)))
        self.ask_extension(life, self.when(self.days.shift(due, -2), rng, (14, 17)), self.days.shift(due, 10),
                           rng.choice(_EXTENSION_REASONS))
        self.decide_extension(life, self.when(self.days.shift(due, -1), rng, (10, 16)), grant=False)
        self.late(life, rng, due)

    def path_overdue(self, life: _Life) -> None:
        """Nothing done by the due date: 催办 and 督办单, answered; handed in late, closed."""
        rng, due = self.rng(life.label, "overdue"), self.due(life)
        self.late(life, rng, due)

    def late(self, life: _Life, rng: random.Random, due: datetime.date) -> None:
        """Past the due date: the unit answers the 催办 and the 督办单 (the history leaves
        nothing awaiting a reply), hands in a few days after the 督办单, and it is closed."""
        self.reply(life, self.when(self.days.shift(due, 1), rng, (9, 11)), Level.URGE,
                   rng.choice(_URGE_REPLIES).format(k=settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS))
        notice = self.days.shift(due, settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS)
        self.notice_on(notice)
        self.reply(life, self.when(self.days.shift(notice, 1), rng, (9, 11)), Level.NOTICE,
                   rng.choice(_NOTICE_REPLIES))
        handed = self.days.shift(notice, rng.randint(2, 4))
        self.rectify(life, self.when(handed, rng, (9, 11)), result=life.text.result, ledger=True)
        self.submit(life, self.when(handed, rng, (14, 16)))
        self.verify(life, self.when(self.days.shift(handed, 2), rng, (9, 16)), close=True, comment=_LATE_CLOSE)

    # --- the present: the daily scan of monthly reports, and the units' replies ---

    def chase_reports(self, present: DemoPresent) -> None:
        """The daily scan of monthly reports on every working day from ``chase_from`` to today;
        the units answer the 催办 and 督办单 of their undone reports as their stories say; the
        office compiles each month's 通报 early the next."""
        for day in (d for d in self.days.dates if present.chase_from <= d <= self.today):
            self.add(self.at(day, SCAN_TIME.hour, SCAN_TIME.minute),
                     lambda day=day: deadline_scan(today=day, kinds=REPORTS_ONLY, compile_bulletin=False),
                     f"{day} 填报督办扫描")
            if day.month != self.today.month or day.year != self.today.year:
                self.notice_on(day)
        for held in present.held:
            due, _ = period_due_date(year=held.month[0], month=held.month[1])
            rng = self.rng(held.month, held.user.username, "replies")
            if held.story in _REPORT_URGE_REPLIES:
                self.report_reply(held, self.when(self.days.shift(due, 1), rng, (9, 11)), Level.URGE,
                                  _REPORT_URGE_REPLIES[held.story])
            if held.story == "late":
                notice = self.days.shift(due, settings.LADDER_NOTICE_OVERDUE_WORKING_DAYS)
                self.report_reply(held, self.when(self.days.shift(notice, 1), rng, (9, 11)), Level.NOTICE,
                                  _REPORT_NOTICE_REPLY)

    def report_reply(self, held: HeldReport, at: datetime.datetime, level: str, text: str) -> None:
        def run():
            # The step the scan recorded for the report (it must be there).
            escalation = Escalation.objects.filter(
                item_kind=ItemKind.REPORT, task=held.task, unit__in=held.user.scope_unit_ids(), level=level,
                period__year=held.month[0], period__month=held.month[1]).latest("created_at", "pk")
            escalation_reply(user=held.user, escalation=escalation, text=text)

        self.add(at, run, f"{held.month[0]}年{held.month[1]}月 {held.task.code} {held.user.username} 回复{Level(level).label}")

    # --- today's quarter ---

    def current_round(self) -> None:
        """Today's quarter: a round in progress, visited three times over the last five weeks,
        with findings in every state. Days are counted back from the last working day before
        today (B), so every step has happened by now whatever the hour (a scan that falls on
        today runs if 08:30 has come)."""
        quarter = (self.today.year, (self.today.month - 1) // 3 + 1)
        base = self.days.on_or_before(self.today - datetime.timedelta(days=1))

        def back(count: int) -> datetime.date:
            return self.days.shift(base, -count)

        first_visit = back(22)
        quarter_start = datetime.datetime.combine(datetime.date(quarter[0], 3 * quarter[1] - 2, 1), OPEN_TIME,
                                                  tzinfo=self.tz)
        self.open_round(quarter, min(quarter_start, self.at(back(27), 8)))
        users = self.unit_staff[:5]
        rng = self.rng(quarter, "current")
        # (unit, visit day, deadline, severity, what happens) — B-relative days.
        plans = [
            (0, 22, 10, "serious", "notice_unanswered"),
            (1, 21, 12, "general", "notice_answered"),
            (2, 22, 19, "general", "refused_urged"),
            (3, 22, 10, "general", "closed"),
            (4, 21, 10, "serious", "extended_closed"),
            (0, 22, 15, "general", "handed_late"),
            (1, 21, 25, "grave", "rejected_revising"),
            (2, 9, 15, "general", "submitted"),
            (0, 9, 10, "general", "extension_pending"),
            (3, 8, 10, "serious", "due_soon"),
            (4, 8, 20, "general", "rectifying"),
            (1, 2, 15, "general", "open"),
        ]
        tasks, lives = [], []
        for number, (who, visit, deadline, severity, kind) in enumerate(plans):
            user = users[who % len(users)]
            task_pick = self.rng(quarter, user.username, number).randrange(len(self.tasks[user.username]))
            task = self.tasks[user.username][task_pick]
            if task not in tasks:
                tasks.append(task)
            life = self.life(quarter, number, user, task, back(visit), deadline, severity)
            life.inspection_file = number in (0, 7, 11)
            lives.append((life, kind))
        self.plan_round(quarter, self.when(back(26), rng, (9, 11)), users=users, tasks=tasks,
                        start=first_visit, end=back(2))
        for life, kind in lives:
            self.found(life)
            getattr(self, f"now_{kind}")(life, back)

    def now_notice_unanswered(self, life: _Life, back) -> None:
        """Due 12 working days ago: 催办 answered, 督办单 not yet."""
        rng = self.rng(life.label)
        self.reply(life, self.when(back(11), rng, (9, 11)), Level.URGE, _URGE_REPLIES[1])
        self.notice_on(back(7))

    def now_notice_answered(self, life: _Life, back) -> None:
        """Due 9 working days ago: the 督办单 answered, the rectification under way."""
        rng = self.rng(life.label)
        self.notice_on(back(4))
        self.reply(life, self.when(back(3), rng, (9, 11)), Level.NOTICE, _NOTICE_REPLIES[0])
        self.rectify(life, self.when(back(3), rng, (14, 16)))

    def now_refused_urged(self, life: _Life, back) -> None:
        """Extension refused; due 3 working days ago: 催办, no 督办单 yet."""
        rng = self.rng(life.label)
        self.rectify(life, self.when(back(15), rng, (9, 11)))
        self.ask_extension(life, self.when(back(5), rng, (14, 17)), self.days.shift(self.due(life), 10),
                           _EXTENSION_REASONS[0])
        self.decide_extension(life, self.when(back(4), rng, (10, 16)), grant=False)

    def now_closed(self, life: _Life, back) -> None:
        rng = self.rng(life.label)
        self.rectify(life, self.when(back(18), rng, (9, 11)), result=life.text.result, ledger=True)
        self.submit(life, self.when(back(17), rng, (14, 16)))
        self.verify(life, self.when(back(15), rng, (10, 16)), close=True, comment=_CLOSE_COMMENTS[0])

    def now_extended_closed(self, life: _Life, back) -> None:
        """Extension granted (the due date moved 10 working days), handed in and closed."""
        rng, due = self.rng(life.label), self.due(life)
        new_due = self.days.shift(due, 10)
        self.scan_around(new_due)
        self.rectify(life, self.when(back(18), rng, (9, 11)))
        self.ask_extension(life, self.when(back(13), rng, (14, 17)), new_due, _EXTENSION_REASONS[1])
        self.decide_extension(life, self.when(back(12), rng, (10, 16)), grant=True)
        self.rectify(life, self.when(back(4), rng, (9, 11)), result=life.text.result, ledger=True)
        self.submit(life, self.when(back(4), rng, (14, 16)))
        self.verify(life, self.when(back(2), rng, (10, 16)), close=True, comment=_CLOSE_COMMENTS[1])

    def now_handed_late(self, life: _Life, back) -> None:
        """Due 7 working days ago: 催办 answered, handed in late, waiting for verification."""
        rng = self.rng(life.label)
        self.reply(life, self.when(back(6), rng, (9, 11)), Level.URGE, _URGE_REPLIES[0].format(k=2))
        self.rectify(life, self.when(back(5), rng, (9, 11)), result=life.text.result, ledger=True)
        self.submit(life, self.when(back(5), rng, (14, 16)))

    def now_rejected_revising(self, life: _Life, back) -> None:
        """Handed in, rejected with a reason; the unit is revising."""
        rng = self.rng(life.label)
        self.rectify(life, self.when(back(17), rng, (9, 11)), result=life.text.result)
        self.submit(life, self.when(back(16), rng, (14, 16)))
        self.verify(life, self.when(back(14), rng, (9, 11)), close=False, comment=life.text.reject)
        self.rectify(life, self.when(back(3), rng, (9, 11)), result=life.text.revised_result)

    def now_submitted(self, life: _Life, back) -> None:
        rng = self.rng(life.label)
        self.rectify(life, self.when(back(6), rng, (9, 11)), result=life.text.result, ledger=True)
        self.submit(life, self.when(back(3), rng, (14, 16)))

    def now_extension_pending(self, life: _Life, back) -> None:
        """Due in a working day: 提醒 came; an extension request waits for the office."""
        rng = self.rng(life.label)
        self.rectify(life, self.when(back(6), rng, (9, 11)))
        self.ask_extension(life, self.when(back(1), rng, (14, 17)), self.days.shift(self.due(life), 10),
                           _EXTENSION_REASONS[2])

    def now_due_soon(self, life: _Life, back) -> None:
        """Due in two working days: the 提醒 came yesterday, nothing done yet."""

    def now_rectifying(self, life: _Life, back) -> None:
        rng = self.rng(life.label)
        self.rectify(life, self.when(back(4), rng, (9, 11)), ledger=True)

    def now_open(self, life: _Life, back) -> None:
        """Found two working days ago."""

    # --- playing it ---

    def play(self) -> None:
        """Each step at its time; the e-mail copies of the messages are sent in this process, as
        in the dispatch history (the demo accounts have no address: nothing leaves)."""
        with demo_clock(self.now) as clock:
            for step in sorted(self.steps, key=lambda s: (s.at, s.order)):
                if step.at <= self.now:
                    clock.at = step.at
                    step.run()


# --- the build -------------------------------------------------------------------------------


def demo_supervision_exists(plan: ActionPlan) -> bool:
    """Findings on the plan's tasks are there: the demo's, or those of real use."""
    return Finding.objects.filter(task__plan=plan).exists()


def plan_quarters(plan: ActionPlan) -> list[Quarter]:
    return [(year, q) for year in plan.years for q in range(1, 5)]


def demo_supervision_build(
    *, plan: ActionPlan, now: datetime.datetime | None = None, quarters: list[Quarter] | None = None,
    current: bool = False, seed: str = "xixian-supervision",
) -> DemoSupervision | None:
    """Build the demo's supervision: a round for each quarter of ``plan`` (or ``quarters``) and,
    with ``current``, today's round in progress on the plan's tasks. None when there are
    findings on the plan's tasks already — the demo is there, or real use has begun. Needs the
    demo accounts."""
    if demo_supervision_exists(plan):
        return None
    now = now or timezone.now()
    quarters = plan_quarters(plan) if quarters is None else quarters
    script = _Supervision(plan=plan, now=now, quarters=quarters, current=current, seed=seed)
    script.schedule()
    with jobs_in_process(), transaction.atomic():
        script.play()
    return demo_supervision_counts()


def demo_supervision_counts() -> DemoSupervision:
    rounds = InspectionRound.objects.all()
    findings = Finding.objects.all()
    escalations = Escalation.objects.all()
    return DemoSupervision(
        rounds=rounds.count(),
        concluded=rounds.filter(status=RoundStatus.CONCLUDED).count(),
        findings=findings.count(),
        by_status=dict(findings.values_list("status").annotate(n=Count("pk")).values_list("status", "n")),
        rejected=findings.filter(events__action=FindingAction.REJECT).distinct().count(),
        extensions=dict(ExtensionRequest.objects.values_list("status").annotate(n=Count("pk"))
                        .values_list("status", "n")),
        escalations=dict(escalations.values_list("level").annotate(n=Count("pk")).values_list("level", "n")),
        replies=escalations.filter(replied_at__isnull=False).count(),
        bulletins=Bulletin.objects.count(),
    )


# --- the present -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPresentSummary:
    """What the present holds after the build (the summary the command prints)."""

    plan: ActionPlan
    history: DemoHistory
    month: tuple[int, int] | None
    states: dict[str, int]  # today's month: the demo units' reports by status, 未填报 for none
    overdue: int  # the demo units' reports past their due date and not in
    escalations: dict[str, int]  # the report ladder's steps by level

    def summary(self) -> str:
        if self.month is None:
            return f"演示方案《{self.plan.title}》今天不在执行期内，未生成本月待办。"
        states = "、".join(f"{label} {n} 份" for label, n in self.states.items())
        levels = "、".join(f"{Level(lv).label} {n} 条" for lv, n in sorted(self.escalations.items(),
                                                                       key=lambda i: Level(i[0]).rank))
        return (f"{self.history.summary()}\n演示方案《{self.plan.title}》执行中："
                f"{self.month[0]}年{self.month[1]}月演示单位的进展填报 {states}；"
                f"逾期未报 {self.overdue} 份；填报督办 {levels or '无'}。")


def demo_present_build(
    *, plan: ActionPlan, now: datetime.datetime | None = None, months: list[tuple[int, int]] | None = None,
    seed: str = "xixian-demo", supervision_seed: str = "xixian-supervision", evidence: bool = True,
) -> DemoPresentSummary | None:
    """Build the demo on the plan in force today (the demo plan): its dispatch history up to
    today (all its months up to today's unless ``months``) and today's month with work in
    every state; the daily scan of monthly reports over the last weeks with the units' replies;
    today's inspection round on its tasks — one script, played in time order. None when the
    plan has progress reports already. Needs the demo accounts."""
    if demo_history_exists(plan):
        return None
    now = now or timezone.now()
    history = demo_history_schedule(plan=plan, months=months, now=now, seed=seed, evidence=evidence)
    present = history.present
    script = _Supervision(plan=plan, now=now, quarters=[], current=present is not None and not
                          demo_supervision_exists(plan), seed=supervision_seed, present=present)
    script.schedule()
    with jobs_in_process(), transaction.atomic():
        demo_play([*history.steps, *script.steps], now=now)
    return demo_present_counts(plan, present)


def demo_present_counts(plan: ActionPlan, present: DemoPresent | None) -> DemoPresentSummary:
    history = demo_history_counts(plan)
    if present is None:
        return DemoPresentSummary(plan, history, None, {}, 0, {})
    lanes = {(t.pk, u) for t, u in _demo_lead_pairs(plan)}
    period = ReportingPeriod.objects.get(year=present.month[0], month=present.month[1])
    reports = ProgressReport.objects.filter(task__plan=plan, period=period)
    by_status = Counter(FilingStatus(r.status).label for r in reports if (r.task_id, r.unit_id) in lanes)
    states = {"未填报": len(lanes) - sum(by_status.values()), **by_status}
    # Overdue as the overdue board counts it: due within the ladder's lookback, not handed in.
    owed = [p for p in ReportingPeriod.objects.filter(
        due_date__lt=present.today, due_date__gte=present.today - datetime.timedelta(days=settings.LADDER_LOOKBACK_DAYS))
        if plan.owes(p.year, p.month)]
    done = set(ProgressReport.objects.filter(task__plan=plan, period__in=owed, status__in=[
        FilingStatus.SUBMITTED, FilingStatus.APPROVED]).values_list("task_id", "unit_id", "period_id"))
    overdue = sum((t, u, p.pk) not in done for p in owed for t, u in lanes)
    escalations = Counter(Escalation.objects.filter(item_kind=ItemKind.REPORT, task__plan=plan)
                          .values_list("level", flat=True))
    return DemoPresentSummary(plan, history, present.month, states, overdue, dict(escalations))


def _demo_lead_pairs(plan: ActionPlan) -> list[tuple[Task, int]]:
    """(task, lead unit) of every report the demo unit accounts file on the plan."""
    staff = User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS], role=Role.UNIT_STAFF)
    scope = {unit_id for user in staff for unit_id in user.scope_unit_ids()}
    rows = TaskAssignment.objects.filter(task__plan=plan, task__is_active=True, role=AssignmentRole.LEAD,
                                         unit_id__in=scope).select_related("task")
    return [(row.task, row.unit_id) for row in rows]
