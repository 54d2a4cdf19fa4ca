"""账户设置: every signed-in user edits their own e-mail address and e-mail preference."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tasks.forms_account import AccountForm
from tasks.services.inbox import account_update


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request):
    user = request.user
    initial = {"email": user.email, "email_notifications": user.email_notifications}
    form = AccountForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        account_update(user=user, **form.cleaned_data)
        messages.success(request, "账户设置已保存。")
        return redirect("account-settings")
    return render(request, "tasks/account.html", {"form": form})
