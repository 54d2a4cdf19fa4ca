"""Writes of the tasks domain. Every function is keyword-only and runs in one transaction."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from tasks.choices import Comparator, ImportStatus, UnitKind
from tasks.models import (
    ActionPlan,
    Indicator,
    PlanImportRun,
    PlanTarget,
    Task,
    TaskAssignment,
    TaskGroup,
    Unit,
    UnitAlias,
    User,
)
from tasks.plan_text import ParsedPlan, PlanTextError, parse_plan, plan_text_from_bytes
from tasks.queueing import enqueue_on_commit
from tasks.unit_directory import Resolution, UnitDirectory


class PlanImportError(ValueError):
    """The plan cannot be imported as it stands; nothing was written."""

    def __init__(self, message: str, resolutions: list[Resolution] | None = None):
        super().__init__(message)
        self.resolutions = resolutions or []


# simple-history keeps a change reason in a 100-character column.
PLAN_END_REASON_MAX = 100


class PlanDatesError(Exception):
    """A refused change of a plan's dates, with the message for the user and the field it is about."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class PlanImportReport:
    plan: ActionPlan | None
    parsed: ParsedPlan
    resolutions: list[Resolution]
    changes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def unresolved(self) -> list[Resolution]:
        return [r for r in self.resolutions if not r.resolved]


def _sync(instance: Model, user: User | None, **values) -> bool:
    """Set changed fields and save only those, so an unchanged row writes no history."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance._history_user = user
        instance.save(update_fields=changed)
    return bool(changed)


def _create(model: type[Model], user: User | None, **values) -> Model:
    instance = model(**values)
    instance._history_user = user
    instance.save()
    return instance


@transaction.atomic
def unit_directory_load(*, path: Path, user: User | None = None) -> int:
    """Create or update the unit directory from its JSON fixture; returns the number of units."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["units"]
    by_name: dict[str, Unit] = {u.name: u for u in Unit.objects.all()}
    for order, row in enumerate(rows, start=1):
        if row["kind"] not in UnitKind.values:
            raise ValueError(f"单位「{row['name']}」的类型 {row['kind']} 无效")
        values = {"short_name": row["short_name"], "kind": row["kind"], "sort_order": order,
                  "note": row.get("note", ""), "is_active": True}
        unit = by_name.get(row["name"])
        if unit is None:
            by_name[row["name"]] = _create(Unit, user, name=row["name"], **values)
        else:
            _sync(unit, user, **values)
    for row in rows:
        unit = by_name[row["name"]]
        _sync(unit, user, parent=by_name[row["parent"]] if row.get("parent") else None)
        unit.members.set([by_name[name] for name in row.get("members", [])])
        for alias in row.get("aliases", []):
            UnitAlias.objects.update_or_create(alias=alias, defaults={"unit": unit})
    return len(rows)


def plan_import(
    *, text: str, indicators: list[dict] | None = None, dry_run: bool = False, user: User | None = None,
) -> PlanImportReport:
    """Import a plan from its official text: parse, resolve every unit, then write all or nothing.

    Re-importing the same text changes nothing; an edited text updates the plan in place, with
    history. Raises PlanImportError (or PlanTextError) and writes nothing when a unit name cannot
    be resolved or an indicator names an unknown task.
    """
    parsed = parse_plan(text)
    directory = UnitDirectory()
    resolutions = [
        resolution
        for group, task in parsed.all_tasks()
        for resolution in directory.resolve_clause(
            code=group.code_for(task), line=task.line, mentions=task.mentions
        )
    ]
    report = PlanImportReport(plan=None, parsed=parsed, resolutions=resolutions, dry_run=dry_run)
    if report.unresolved:
        names = "；".join(f"「{r.source_name}」（任务 {r.code}，第 {r.line} 行）" for r in report.unresolved)
        raise PlanImportError(f"以下单位在单位目录中找不到：{names}。请先在单位目录中添加单位或别名。", resolutions)
    _check_indicators(parsed, indicators or [])
    if not dry_run:
        with transaction.atomic():
            report.plan = _write_plan(parsed, text, resolutions, indicators or [], user, report.changes)
    return report


def _check_indicators(parsed: ParsedPlan, indicators: list[dict]) -> None:
    codes = {group.code_for(task) for group, task in parsed.all_tasks()}
    keys: set[str] = set()
    for row in indicators:
        where = f"指标「{row.get('name', row.get('key'))}」"
        if row.get("task") and row["task"] not in codes:
            raise PlanImportError(f"{where}所属任务 {row['task']} 不在方案中。")
        if row.get("comparator") not in Comparator.values:
            raise PlanImportError(f"{where}的比较方式 {row.get('comparator')} 无效。")
        if row["key"] in keys:
            raise PlanImportError(f"{where}的标识 {row['key']} 重复。")
        keys.add(row["key"])
        try:
            Decimal(str(row["value"]))
        except (InvalidOperation, KeyError):
            raise PlanImportError(f"{where}的目标值无效。") from None


def _write_plan(parsed, text, resolutions, indicators, user, changes) -> ActionPlan:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    plan = ActionPlan.objects.select_for_update().filter(title=parsed.title).first()
    plan_values = {
        "start_year": parsed.start_year, "end_year": parsed.end_year, "preamble": parsed.preamble,
        "closing_text": parsed.closing_text, "source_text": text, "source_sha256": digest,
    }
    if plan is None or (plan.start_year, plan.end_year) != (parsed.start_year, parsed.end_year):
        # A new plan, or a text whose period changed: its dates are those of its years again.
        plan_values["starts_on"], plan_values["ends_on"] = ActionPlan.default_dates(parsed.start_year, parsed.end_year)
    if plan is None:
        plan = _create(ActionPlan, user, title=parsed.title, imported_at=timezone.now(), **plan_values)
        changes.append(f"新建行动方案「{plan.title}」")
    elif _sync(plan, user, **plan_values):
        _sync(plan, user, imported_at=timezone.now())
        changes.append(f"更新行动方案「{plan.title}」")
    _write_targets(plan, parsed, user, changes)
    tasks = _write_tasks(plan, parsed, user, changes)
    current = {code: tasks[code] for code in (g.code_for(t) for g, t in parsed.all_tasks())}
    _write_assignments(current, resolutions, user, changes)  # a retired task keeps its units
    _write_indicators(plan, tasks, indicators, user, changes)
    return plan


def _write_targets(plan, parsed, user, changes) -> None:
    existing = {t.year: t for t in plan.targets.all()}
    for year, text in parsed.targets.items():
        if year not in existing:
            _create(PlanTarget, user, plan=plan, year=year, text=text)
            changes.append(f"新增 {year} 年工作目标")
        elif _sync(existing[year], user, text=text):
            changes.append(f"更新 {year} 年工作目标")


def _write_tasks(plan, parsed, user, changes) -> dict[str, Task]:
    groups = {(g.kind, g.number): g for g in plan.groups.all()}
    tasks = {t.code: t for t in plan.tasks.all()}
    order = 0
    for parsed_group in parsed.groups:
        group = groups.get((parsed_group.kind, parsed_group.number))
        if group is None:
            group = _create(TaskGroup, user, plan=plan, kind=parsed_group.kind,
                            number=parsed_group.number, title=parsed_group.title)
            changes.append(f"新增任务组「{group.title}」")
        elif _sync(group, user, title=parsed_group.title):
            changes.append(f"更新任务组「{group.title}」")
        for parsed_task in parsed_group.tasks:
            order += 1
            code = parsed_group.code_for(parsed_task)
            values = {"group": group, "number": parsed_task.number, "title": parsed_task.title,
                      "text": parsed_task.text, "time_node": parsed_task.time_node,
                      "sort_order": order, "is_active": True}
            if code not in tasks:
                tasks[code] = _create(Task, user, plan=plan, code=code, **values)
                changes.append(f"新增任务 {code}")
            elif _sync(tasks[code], user, **values):
                changes.append(f"更新任务 {code}")
    parsed_codes = {g.code_for(t) for g, t in parsed.all_tasks()}
    for code, task in tasks.items():
        if code not in parsed_codes and _sync(task, user, is_active=False):
            changes.append(f"任务 {code} 已不在新文本中，标记为失效")
    return tasks


def _write_assignments(tasks, resolutions, user, changes) -> None:
    wanted: dict[str, list[tuple[Unit, Resolution]]] = {}
    for resolution in resolutions:
        for unit in resolution.units:
            wanted.setdefault(resolution.code, []).append((unit, resolution))
    existing: dict[tuple[int, int], TaskAssignment] = {
        (a.task_id, a.unit_id): a for a in TaskAssignment.objects.filter(task__in=list(tasks.values()))
    }
    for code, task in tasks.items():
        keep = set()
        for order, (unit, resolution) in enumerate(wanted.get(code, []), start=1):
            keep.add(unit.pk)
            values = {"role": resolution.role, "sort_order": order, "source_name": resolution.source_name}
            row = existing.get((task.pk, unit.pk))
            if row is None:
                _create(TaskAssignment, user, task=task, unit=unit, **values)
                changes.append(f"任务 {code} 新增{resolution.role == 'lead' and '牵头' or '配合'}单位 {unit.name}")
            elif _sync(row, user, **values):
                changes.append(f"任务 {code} 调整单位 {unit.name}")
        for (task_id, unit_id), row in existing.items():
            if task_id == task.pk and unit_id not in keep:
                row._history_user = user
                row.delete()
                changes.append(f"任务 {code} 移除单位 {row.unit.name}")


def _write_indicators(plan, tasks, indicators, user, changes) -> None:
    existing = {i.key: i for i in plan.indicators.all()}
    for order, row in enumerate(indicators, start=1):
        values = {
            "task": tasks[row["task"]] if row.get("task") else None,
            "name": row["name"], "year": row.get("year"), "comparator": row["comparator"],
            "target_value": Decimal(str(row["value"])),
            "target_max": Decimal(str(row["max"])) if row.get("max") is not None else None,
            "unit_of_measure": row["unit"], "source_excerpt": row["source"], "sort_order": order,
        }
        indicator = existing.get(row["key"])
        if indicator is None:
            _create(Indicator, user, plan=plan, key=row["key"], **values)
            changes.append(f"新增指标「{row['name']}」")
        elif _sync(indicator, user, **values):
            changes.append(f"更新指标「{row['name']}」")




def plan_import_run_create(
    *, user: User, filename: str, content: bytes, with_seed_indicators: bool = False,
) -> tuple[PlanImportRun, PlanImportReport]:
    """Check an uploaded plan (size, type, text, units) and keep it for the office to confirm.

    Raises PlanTextError / PlanImportError with a message for the office and creates nothing
    when the file would not import. Returns the run and the dry-run report to preview.
    """
    limit = settings.PLAN_UPLOAD_MAX_BYTES
    if len(content) > limit:
        raise PlanTextError(f"文件过大：{len(content) // 1024} KB，上限为 {limit // 1024} KB。")
    text = plan_text_from_bytes(filename, content)
    preview = plan_import(text=text, indicators=_seed_indicators() if with_seed_indicators else [], dry_run=True)
    run = PlanImportRun.objects.create(
        filename=filename[:200], text=text, with_seed_indicators=with_seed_indicators, created_by=user,
    )
    return run, preview


def plan_import_run_preview(*, run: PlanImportRun) -> PlanImportReport:
    """The dry-run report of a kept upload, as the import would resolve it now."""
    return plan_import(text=run.text, indicators=_seed_indicators() if run.with_seed_indicators else [],
                       dry_run=True)


@transaction.atomic
def plan_import_run_confirm(*, run: PlanImportRun) -> bool:
    """Queue a previewed import as a background job; False if it was already confirmed."""
    queued = PlanImportRun.objects.filter(pk=run.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.PENDING
    )
    if queued:
        from tasks.jobs import plan_import_run_job  # jobs import services

        enqueue_on_commit(plan_import_run_job, run.pk)
    return bool(queued)


def plan_import_run_requeue(*, older_than_minutes: int = 10) -> int:
    """Queue again the imports confirmed but still pending after ``older_than_minutes`` (the
    broker was down at confirmation, or the job was lost); returns how many. Hourly.

    Measured from the upload (the run records no confirmation time), so an upload confirmed
    late may be queued twice; the claim in ``plan_import_run_execute`` runs it once.
    """
    from tasks.jobs import plan_import_run_job  # jobs import services

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    # The partial index import_run_pending serves this scan.
    ids = list(PlanImportRun.objects.filter(status=ImportStatus.PENDING, created_at__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True))
    for run_id in ids:
        enqueue_on_commit(plan_import_run_job, run_id)
    return len(ids)


def plan_import_run_execute(*, run_id: int) -> PlanImportRun | None:
    """Carry out a queued import. Claims the run first so that it runs once, whoever asks."""
    claimed = PlanImportRun.objects.filter(pk=run_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING
    )
    if claimed != 1:
        return None
    run = PlanImportRun.objects.select_related("created_by").get(pk=run_id)
    indicators = _seed_indicators() if run.with_seed_indicators else []
    try:
        report = plan_import(text=run.text, indicators=indicators, user=run.created_by)
    except (PlanImportError, PlanTextError) as exc:
        run.status, run.error = ImportStatus.FAILED, str(exc)
    else:
        run.status, run.plan, run.changes = ImportStatus.SUCCEEDED, report.plan, report.changes
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "plan", "changes", "finished_at"])
    return run


def seed_plan_load(*, user: User | None = None) -> ActionPlan:
    """The unit directory and the seed plan with its indicators (settings.SEED_*): the plan the
    demo, the tests and the benchmark start from. Idempotent: a no-op once they are there."""
    unit_directory_load(path=settings.UNIT_DIRECTORY_PATH, user=user)
    text = Path(settings.SEED_PLAN_PATH).read_text(encoding="utf-8")
    return plan_import(text=text, indicators=_seed_indicators(), user=user).plan


def _seed_indicators() -> list[dict]:
    return json.loads(Path(settings.SEED_INDICATORS_PATH).read_text(encoding="utf-8"))["indicators"]


@transaction.atomic
def plan_end_move(*, user: User, plan: ActionPlan, ends_on: datetime.date, reason: str) -> ActionPlan:
    """The office extends the plan or closes it early: a new ``ends_on``, with the reason kept in
    the plan's history (who, when, why). Past months keep the dates that were in force then
    (``tasks.selectors.state``)."""
    if not user.is_office:
        raise PermissionDenied("只有新区营商办可以调整行动方案的结束日期。")
    reason = reason.strip()
    if not reason:
        raise PlanDatesError("请填写调整结束日期的理由。", "reason")
    if len(reason) > PLAN_END_REASON_MAX:
        raise PlanDatesError(f"理由最多 {PLAN_END_REASON_MAX} 个字。", "reason")
    plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if ends_on < plan.starts_on:
        raise PlanDatesError(f"结束日期不能早于开始日期（{plan.starts_on:%Y-%m-%d}）。", "ends_on")
    if ends_on == plan.ends_on:
        raise PlanDatesError("结束日期没有变化。", "ends_on")
    plan.ends_on = ends_on
    plan._history_user = user
    plan._change_reason = reason
    plan.save(update_fields=["ends_on"])
    return plan
