"""Pages composed from several apps. The home page and the task page show what ``tasks`` knows
beside what ``supervision`` recorded; the lower app never calls the higher one, so the layer on
top composes them here (the URL names ``home`` and ``task-detail`` stay the same)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from supervision.selectors import home_panel, task_timeline_entries
from tasks.selectors.dispatch import timeline_merge
from tasks.views.plans import home_context, task_page_context


@login_required
def home(request):
    """首页: the unit's tasks and monthly dispatch (tasks), and the 督查督办 panel (supervision)."""
    context = home_context(user=request.user)
    context["panels"] = [panel for panel in [home_panel(user=request.user)] if panel]
    return render(request, "tasks/home.html", context)


@login_required
def task_detail(request, pk: int):
    """任务: the task's page (tasks), its timeline with the ladder's steps on it (supervision)."""
    context = task_page_context(user=request.user, pk=pk)
    ladder = task_timeline_entries(user=request.user, task=context["task"])
    context["timeline"] = timeline_merge(context["timeline"], ladder)
    return render(request, "tasks/task_detail.html", context)
