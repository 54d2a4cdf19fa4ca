"""Pages of the escalation ladder (督办): the overdue board, 催办 and 督办单 sent by hand, the
unit's reply, the printable 督办单, extension decisions, 通报 and the messenger robot.

The rules are the services'; these views parse, call a selector or service and render. Reads
go through ``visible_to`` (not yours → 404); actions refused by role are 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from supervision import selectors, services
from supervision.forms_ladder import ReplyForm


@login_required
@require_http_methods(["GET", "POST"])
def escalation_detail(request, pk: int):
    """One ladder step; the responsible unit replies to a 催办 or 督办单 here, once."""
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_reply(user=request.user, escalation=escalation, text=form.cleaned_data["reply"])
        except services.SupervisionError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "回复已提交，营商办会收到通知。")
            return redirect("supervision:escalation-detail", pk=pk)
    context = {"escalation": escalation, "form": form, "can_reply": _can_reply(request.user, escalation)}
    return render(request, "supervision/escalation_detail.html", context)


# View-specific helpers.


def _can_reply(user, escalation) -> bool:
    """Whether to show the reply form (the service decides again when it is posted)."""
    return (escalation.awaits_reply and user.role == "unit_staff"
            and escalation.unit_id in user.scope_unit_ids())


def _add_errors(form, exc) -> None:
    """The service's refusal beside the fields it names, or above the form."""
    for field, message in exc.fields.items():
        form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, str(exc))
