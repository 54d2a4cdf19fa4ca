"""Dashboards (看板): the plan overview, task groups with their drill-down, units, indicators and
the risk board; each takes ``?plan=<id>`` and ``?month=YYYY-MM``."""

from django.urls import path

from reports.views import dashboards

urlpatterns: list = [
    path("dashboards/", dashboards.overview, name="dashboard-overview"),
    path("dashboards/tasks/", dashboards.tasks, name="dashboard-tasks"),
    path("dashboards/groups/", dashboards.groups, name="dashboard-groups"),
    path("dashboards/groups/<int:group_id>/", dashboards.group, name="dashboard-group"),
    path("dashboards/units/", dashboards.units, name="dashboard-units"),
    path("dashboards/indicators/", dashboards.indicators, name="dashboard-indicators"),
    path("dashboards/risks/", dashboards.risks, name="dashboard-risks"),
]
