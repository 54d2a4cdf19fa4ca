"""Pages of the tasks domain. The URL names are a contract: other apps and templates use them."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from tasks.forms import LoginForm
from tasks.views import account
from tasks.views import plans as views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account_settings, name="account-settings"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/end/", views.plan_end_move, name="plan-end-move"),
    path("plans/import/", views.plan_import, name="plan-import"),
    path("plans/import/<int:pk>/", views.plan_import_run, name="plan-import-run"),
    path("tasks/", views.task_list, name="task-list"),
    path("units/", views.unit_list, name="unit-list"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
]

# Monthly dispatch: the units' filing pages and the office's review pages.
urlpatterns += [
    path("", include("tasks.urls_filing")),
    path("", include("tasks.urls_review")),
]
