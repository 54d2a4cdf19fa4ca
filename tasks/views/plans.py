"""Pages of the tasks domain: home, plan browser, task search, task page, unit directory.

Each view parses the request, calls a selector (which applies ``visible_to``) and renders.
What the user may not see is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from tasks import selectors, services
from tasks.choices import AssignmentRole, ImportStatus, UnitKind
from tasks.filters import TaskFilter, task_filter_params
from tasks.forms import PlanEndForm, PlanUploadForm
from tasks.models import Task, TaskGroup, Unit
from tasks.plan_text import PlanTextError
from tasks.views import filing

TASKS_PER_PAGE = 50


def _page(request, template: str, context: dict, **kwargs):
    """Render with the role choices, whose labels and badge classes the templates show."""
    return render(request, template, {"roles": AssignmentRole, **context}, **kwargs)


def _is_htmx_fragment(request) -> bool:
    """An htmx swap wants the fragment; a history restore (cache miss) wants the whole page."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"


def home_context(*, user) -> dict:
    """首页, what tasks/ knows of it: the user's unit's tasks (牵头 / 配合) with their lights, the
    monthly dispatch in hand; the plan summary for those who see everything. The page itself is
    composed with the other apps' panels in ``xixian_portal.pages``."""
    plan = selectors.plan_current(user=user)
    summary = selectors.plan_group_counts(user=user, plan=plan) if plan and user.sees_everything else []
    mine = selectors.my_tasks(user=user, plan=plan)
    # Its own lead tasks with its own light (as its dashboard and inbox show them); the tasks it
    # only supports, where it has no light of its own, with theirs.
    filing.lights_attach([*mine[AssignmentRole.LEAD], *mine[AssignmentRole.SUPPORTING]],
                         own_unit_ids=user.scope_unit_ids())
    return {
        **filing.home_context(user=user),
        "roles": AssignmentRole,
        "plan": plan,
        "mine": mine,
        "self_ids": user.scope_unit_ids(),
        "summary": summary,
        "summary_total": sum(count for _, count in summary),
    }


@login_required
def plan_list(request):
    return _page(request, "tasks/plan_list.html", {"plans": selectors.plan_list(user=request.user)})


@login_required
def plan_detail(request, pk: int):
    """行动方案: targets, plan-level indicators, then groups → tasks, with a chart of the counts."""
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    tree, plan_indicators = selectors.plan_tree(user=user, plan=plan)
    tasks = [task for _, group_tasks in tree for task in group_tasks]
    filing.lights_attach(tasks)
    context = {
        "plan": plan,
        "end_changes": selectors.plan_end_changes(plan=plan),
        "end_form": PlanEndForm(initial={"ends_on": plan.ends_on}) if user.is_office else None,
        "targets": plan.targets.all(),
        "indicators": plan_indicators,
        "tree": tree,
        "task_count": len(tasks),
        "self_ids": _own_unit_ids(user, tasks),
        "chart": _group_chart_data(tree),
    }
    return _page(request, "tasks/plan_detail.html", context)


@login_required
@require_POST
def plan_end_move(request, pk: int):
    """调整结束日期 (the office): extend the plan or close it early, with the reason on record."""
    plan = selectors.plan_get(user=request.user, pk=pk)
    form = PlanEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect("plan-detail", pk=plan.pk)
    try:
        plan = services.plan_end_move(user=request.user, plan=plan, **form.cleaned_data)
    except services.PlanDatesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"结束日期已调整为 {plan.ends_on:%Y-%m-%d}，方案当前状态：{plan.status.label}。")
    return redirect("plan-detail", pk=plan.pk)


@login_required
def task_list(request):
    """任务检索: TaskFilter over the visible tasks; htmx swaps only the results."""
    filterset = _task_filter(request)
    page = Paginator(filterset.qs, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = filing.lights_attach(list(page.object_list))
    context = {"filter": filterset, "page": page, "self_ids": request.user.scope_unit_ids()}
    if _is_htmx_fragment(request):
        response = _page(request, "tasks/_task_results.html", context)
    else:
        response = _page(request, "tasks/task_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def task_page_context(*, user, pk: int) -> dict:
    """任务, what tasks/ knows of it: text, units with their lights, indicators, reports and the
    task's own timeline (404 outside the user's scope). The page is composed with the ladder's
    steps in ``xixian_portal.pages``."""
    task = selectors.task_get(user=user, pk=pk)
    assignments = list(task.assignments.all())  # prefetched with their units
    leads = [a for a in assignments if a.role == AssignmentRole.LEAD]
    return {
        "roles": AssignmentRole,
        "task": task,
        "leads": leads,
        "supports": [a for a in assignments if a.role == AssignmentRole.SUPPORTING],
        "indicators": task.indicators.all(),
        **filing.task_dispatch_context(user=user, task=task, leads=leads),
    }


@login_required
def unit_list(request):
    return _page(request, "tasks/unit_list.html", {"sections": _unit_directory(user=request.user)})


@login_required
def unit_detail(request, pk: int):
    """单位: its tasks by role (its offices' included), its offices, parent, aliases, members."""
    unit = selectors.unit_get(user=request.user, pk=pk)
    children = list(unit.children.all())
    context = {
        "unit": unit,
        "children": children,
        "aliases": unit.aliases.all(),
        "members": unit.members.all(),
        "by_role": selectors.unit_tasks_by_role(user=request.user, unit=unit),
        "self_ids": [unit.pk, *(child.pk for child in children)],
    }
    return _page(request, "tasks/unit_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_import(request):
    """方案导入 (office): upload a plan text; it is checked, then shown for confirmation."""
    _require_office(request.user)
    form = PlanUploadForm(request.POST, request.FILES) if request.method == "POST" else PlanUploadForm()
    unresolved = []
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run, _ = services.plan_import_run_create(
                user=request.user, filename=upload.name, content=upload.read(),
                with_seed_indicators=form.cleaned_data["with_seed_indicators"],
            )
        except (PlanTextError, services.PlanImportError) as exc:
            form.add_error("file", str(exc))
            unresolved = [r for r in getattr(exc, "resolutions", []) if not r.resolved]
        else:
            return redirect("plan-import-run", pk=run.pk)
    runs = selectors.plan_import_runs(user=request.user)[:20]
    return _page(request, "tasks/plan_import.html", {"form": form, "runs": runs, "unresolved": unresolved})


@login_required
@require_http_methods(["GET", "POST"])
def plan_import_run(request, pk: int):
    """One import: the resolution table to confirm, then its progress and result (htmx polls)."""
    _require_office(request.user)
    run = selectors.plan_import_run_get(user=request.user, pk=pk)
    if request.method == "POST":
        services.plan_import_run_confirm(run=run)
        return redirect("plan-import-run", pk=run.pk)
    context = {"run": run, "statuses": ImportStatus, **_import_preview(run)}
    template = "tasks/_import_run_status.html" if _is_htmx_fragment(request) else "tasks/plan_import_run.html"
    return _page(request, template, context)


# View-specific helpers: presentation of what the selectors return.


def _require_office(user) -> None:
    """Pages that exist for everyone but only the office (营商办) may use: 403 for others."""
    if not user.is_office:
        raise PermissionDenied("只有新区营商办可以导入行动方案。")


def _import_preview(run) -> dict:
    """The dry-run table of an import awaiting confirmation, or why it would now fail."""
    if run.status != ImportStatus.PREVIEW:
        return {}
    try:
        report = services.plan_import_run_preview(run=run)
    except (PlanTextError, services.PlanImportError) as exc:
        return {"preview_error": str(exc)}
    return {"preview": report, "task_total": sum(1 for _ in report.parsed.all_tasks())}


def _own_unit_ids(user, tasks: list[Task]) -> set[int]:
    """The user's unit and its offices among the units on the page (their parent is loaded with
    them): highlighting without looking the offices up."""
    return {user.unit_id} | {
        a.unit_id for task in tasks for a in task.assignments.all() if a.unit.parent_id == user.unit_id
    }


def _group_chart_data(tree: list[tuple[TaskGroup, list[Task]]]) -> dict:
    """Tasks per group for the bar chart (static/js/plan-chart.js), read via json_script."""
    return {
        "labels": [f"{group.numeral}{group.title}" for group, _ in tree],
        "counts": [len(tasks) for _, tasks in tree],
        "anchors": [f"group-{group.pk}" for group, _ in tree],
    }


def _task_filter(request) -> TaskFilter:
    """TaskFilter on the visible tasks, its selects labelled for the page: 「全部」 and numerals."""
    filterset = TaskFilter(task_filter_params(request.GET, user=request.user), queryset=selectors.task_list(user=request.user),
                           request=request)
    fields = filterset.form.fields
    fields["group"].label_from_instance = lambda group: f"{group.numeral}{group.title}"
    for name in ("plan", "group", "unit", "role", "kind"):
        fields[name].empty_label = "全部"
        # A copied widget may still list the choices of the field it was copied from (the
        # filter's cached field); bind it to this form's field so the labels above show.
        fields[name].widget.choices = fields[name].choices
    return filterset


def _unit_directory(*, user) -> list[tuple[str, list[Unit]]]:
    """单位目录: units grouped by kind, in directory order."""
    units = list(selectors.unit_list(user=user).prefetch_related("members"))
    sections = [(label, [u for u in units if u.kind == kind]) for kind, label in UnitKind.choices]
    return [(label, members) for label, members in sections if members]
