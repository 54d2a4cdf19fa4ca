"""What the pages show: the plan browser, the task search and its filters, the task and unit
pages, sign-in with its lockout, logout's CSRF check, and the CSP-safe markup of every page."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tasks.choices import AssignmentRole, GroupKind
from tasks.demo import DEMO_PASSWORD
from tasks.models import Task, TaskGroup, Unit


@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


def codes(tasks) -> list[str]:
    return [task.code for task in tasks]


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


# --- plan browser ---------------------------------------------------------------------------


def test_plan_browser_shows_every_group_and_task_to_the_office(as_office, plan):
    response = as_office.get(reverse("plan-detail", args=[plan.pk]))
    tree = response.context["tree"]
    main = [(group, tasks) for group, tasks in tree if group.kind == GroupKind.MAIN]
    assert [group.number for group, _ in main] == list(range(1, 11))
    assert [len(tasks) for _, tasks in main] == [4, 6, 3, 5, 3, 3, 6, 6, 6, 5]
    assert sum(len(tasks) for _, tasks in main) == 47
    # Document order: 主要任务, then 保障措施, then 工作要求.
    assert [group.kind for group, _ in tree][-2:] == [GroupKind.SAFEGUARD, GroupKind.REQUIREMENT]

    html = response.content.decode()
    assert html.count('<details class="group"') == 12
    assert html.count('<article class="task-card"') == 57
    assert plan.title in html and "2020—2022年" in html
    for target in plan.targets.all():
        assert target.text in html


def test_plan_browser_shows_indicators_units_and_ledger_link(as_office, plan, task_1_1):
    html = as_office.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "≤ 90 个工作日" in html  # plan-level indicator (工作目标 2020)
    assert "7–32 个工作日" in html  # task 2.4, gas connection, a range
    assert "方案期内" in html and "2020年" in html
    assert task_1_1.text in html
    assert reverse("unit-detail", args=[unit("新区行政审批与政务服务局").pk]) in html
    assert "下载任务分工表（Excel）" in html
    assert f'href="{reverse("plan-ledger", args=[plan.pk])}"' in html


def test_plan_chart_data_counts_tasks_per_group(as_office, plan):
    html = as_office.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    block = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["counts"] == [4, 6, 3, 5, 3, 3, 6, 6, 6, 5, 6, 4]
    assert data["labels"][0] == "（一）着力打通制约项目建设的关键环节"
    assert 'src="/static/vendor/echarts/echarts.min.js"' in html
    assert 'src="/static/js/plan-chart.js"' in html


def test_plan_list(as_office, plan):
    html = as_office.get(reverse("plan-list")).content.decode()
    assert reverse("plan-detail", args=[plan.pk]) in html and plan.title in html


# --- task search ----------------------------------------------------------------------------


def search(client, **params) -> list[str]:
    response = client.get(reverse("task-list"), params)
    assert response.status_code == 200
    return codes(response.context["page"].object_list)


def test_task_list_without_filters_lists_every_active_task(as_office):
    response = as_office.get(reverse("task-list"))
    assert response.context["page"].paginator.count == 57
    assert codes(response.context["page"].object_list)[:3] == ["1.1", "1.2", "1.3"]


def test_task_list_pages_of_fifty(as_office, plan):
    first = as_office.get(reverse("task-list")).context["page"]
    second = as_office.get(reverse("task-list"), {"page": 2}).context["page"]
    assert (len(first.object_list), len(second.object_list)) == (50, 7)
    assert not set(codes(first.object_list)) & set(codes(second.object_list))
    html = as_office.get(reverse("task-list"), {"plan": plan.pk}).content.decode()
    assert f"?plan={plan.pk}&amp;page=2" in html  # the next-page link keeps the filters


def test_filter_by_group(as_office, plan):
    group = TaskGroup.objects.get(plan=plan, kind=GroupKind.MAIN, number=3)
    assert search(as_office, group=group.pk) == ["3.1", "3.2", "3.3"]


def test_filter_by_kind(as_office):
    assert search(as_office, kind=GroupKind.SAFEGUARD) == [f"保障{n}" for n in range(1, 7)]
    assert search(as_office, kind=GroupKind.REQUIREMENT) == [f"要求{n}" for n in range(1, 5)]
    assert len(search(as_office, kind=GroupKind.MAIN)) == 47


def test_filter_by_unit_and_role(as_office):
    shenpi = unit("新区行政审批与政务服务局").pk
    lead = ["1.1", "1.3", "1.4", "5.3", "6.3", "7.1", "7.2", "7.3", "7.6", "10.1", "10.2", "10.4", "10.5"]
    assert search(as_office, unit=shenpi, role=AssignmentRole.LEAD) == lead
    assert search(as_office, unit=shenpi, role=AssignmentRole.SUPPORTING) == ["2.2", "2.3", "2.4", "7.4", "9.1"]
    assert len(search(as_office, unit=shenpi)) == 18


def test_filter_by_unit_includes_its_offices(as_office):
    # 2.5 is led by 新区改革创新发展局（金融办）, an office inside 改革创新发展局.
    gaige = unit("新区改革创新发展局").pk
    assert "2.5" in search(as_office, unit=gaige, role=AssignmentRole.LEAD)


def test_filter_by_text(as_office):
    assert search(as_office, q="绿色通道") == ["1.1"]
    assert search(as_office, q="招标投标") == ["1.2", "10.3"]
    assert search(as_office, q="信贷") == ["2.5"]
    assert search(as_office, q="保障5") == ["保障5"]  # a code
    assert search(as_office, q="没有这样的任务") == []


def test_filters_combine_and_respect_scope(client, lead_user):
    client.force_login(lead_user)
    assert search(client, kind=GroupKind.MAIN, q="招标投标") == []  # 1.2 and 10.3 are not 审批局's
    assert search(client, q="绿色通道") == ["1.1"]


def test_invalid_filter_value_is_reported_not_a_crash(as_office):
    response = as_office.get(reverse("task-list"), {"group": "abc"})
    assert response.status_code == 200
    assert 'class="alert alert-error filter-errors"' in response.content.decode()


def test_filter_form_offers_chinese_choices(as_office):
    html = as_office.get(reverse("task-list")).content.decode()
    assert '<option value="" selected>全部</option>' in html
    assert "---------" not in html
    assert ">（三）进一步深化商事制度改革</option>" in html


def test_filter_form_keeps_the_chosen_values(as_office, plan):
    group = TaskGroup.objects.get(plan=plan, kind=GroupKind.MAIN, number=3)
    shenpi = unit("新区行政审批与政务服务局")
    params = {"group": group.pk, "kind": "main", "unit": shenpi.pk, "role": "lead", "q": "改革"}
    html = as_office.get(reverse("task-list"), params).content.decode()
    assert f'<option value="{group.pk}" selected>（三）进一步深化商事制度改革</option>' in html
    assert '<option value="main" selected>主要任务</option>' in html
    assert f'<option value="{shenpi.pk}" selected>新区行政审批与政务服务局</option>' in html
    assert '<option value="lead" selected>牵头单位</option>' in html
    assert 'value="改革"' in html


def test_htmx_request_gets_only_the_results(as_office):
    full = as_office.get(reverse("task-list"), {"q": "绿色通道"})
    fragment = as_office.get(reverse("task-list"), {"q": "绿色通道"}, headers={"HX-Request": "true"})
    restore = as_office.get(
        reverse("task-list"), {"q": "绿色通道"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in full.content.decode() and 'id="task-results"' in full.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "加快项目建设前期手续办理" in fragment.content.decode()
    assert "<html" in restore.content.decode()  # a history restore needs the whole page
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in full["Vary"]


def test_search_form_works_without_javascript(as_office):
    html = as_office.get(reverse("task-list")).content.decode()
    assert re.search(r'<form[^>]*method="get" action="/tasks/"', html)
    assert '<button type="submit" class="btn btn-primary">查询</button>' in html


# --- task and unit pages ----------------------------------------------------------------------


def test_task_page_shows_text_units_and_source_names(client, lead_user, task_1_1):
    client.force_login(lead_user)
    html = client.get(reverse("task-detail", args=[task_1_1.pk])).content.decode()
    assert task_1_1.text in html and task_1_1.title in html and "1.1" in html
    assert "（一）着力打通制约项目建设的关键环节" in html
    assert "新区行政审批与政务服务局" in html and "沣东新城" in html
    assert "原文：各新城" in html  # the document wrote 「各新城」 for the five new cities
    assert "原文：新区行政审批与政务服务局" not in html  # same as the unit name: not repeated


def test_task_page_shows_indicators_and_time_node(as_office, plan):
    task_2_4 = Task.objects.get(plan=plan, code="2.4")
    html = as_office.get(reverse("task-detail", args=[task_2_4.pk])).content.decode()
    assert "用气总体报装时间" in html and "7–32 个工作日" in html
    requirement = Task.objects.get(plan=plan, code="要求1")
    html = as_office.get(reverse("task-detail", args=[requirement.pk])).content.decode()
    assert "时间节点" in html and requirement.time_node in html


def test_unit_page_includes_the_tasks_of_its_offices(as_office):
    gaige = unit("新区改革创新发展局")
    response = as_office.get(reverse("unit-detail", args=[gaige.pk]))
    lead = codes(response.context["by_role"][AssignmentRole.LEAD])
    assert "2.5" in lead  # led by 金融办
    assert "1.2" in lead  # led by 交易办
    assert "1.1" in codes(response.context["by_role"][AssignmentRole.SUPPORTING])
    html = response.content.decode()
    assert "新区改革创新发展局（金融办）" in html  # listed among its offices
    assert "改革创新发展局" in html  # an alias


def test_office_page_links_to_its_parent(as_office):
    jinrong = unit("新区改革创新发展局（金融办）")
    response = as_office.get(reverse("unit-detail", args=[jinrong.pk]))
    assert codes(response.context["by_role"][AssignmentRole.LEAD]) == ["2.5"]
    assert reverse("unit-detail", args=[jinrong.parent_id]) in response.content.decode()


def test_unit_directory_groups_units_by_kind_with_aliases(as_office):
    response = as_office.get(reverse("unit-list"))
    sections = dict(response.context["sections"])
    assert [u.name for u in sections["新城"]] == ["沣东新城", "秦汉新城", "沣西新城", "空港新城", "泾河新城"]
    assert "西安住房公积金西咸分中心" in [u.name for u in sections["驻区机构"]]
    html = response.content.decode()
    assert "人社局" in html and "西安公积金西咸分中心" in html  # aliases
    assert "包含：" in html  # 各新城 lists its members


def test_home_of_the_office_summarises_the_plan(as_office, plan):
    response = as_office.get(reverse("home"))
    summary = response.context["summary"]
    assert [count for _, count in summary] == [4, 6, 3, 5, 3, 3, 6, 6, 6, 5, 6, 4]
    assert response.context["summary_total"] == 57
    html = response.content.decode()
    assert "方案概况" in html and reverse("plan-detail", args=[plan.pk]) in html
    assert f'href="{reverse("plan-ledger", args=[plan.pk])}"' in html


def test_home_of_a_unit_user_has_no_plan_summary(client, lead_user):
    client.force_login(lead_user)
    response = client.get(reverse("home"))
    assert response.context["summary"] == []
    html = response.content.decode()
    assert "牵头任务" in html and "配合任务" in html and "方案概况" not in html


def test_layout_shows_user_unit_role_and_nav(client, lead_user):
    lead_user.full_name = "陈审批"
    lead_user.save(update_fields=["full_name"])
    client.force_login(lead_user)
    html = client.get(reverse("home")).content.decode()
    assert "西咸新区营商环境督查督办平台" in html
    for label in ("首页", "行动方案", "任务检索", "单位目录", "API 文档"):
        assert f">{label}</a>" in html
    assert "陈审批" in html and "行政审批局" in html and "单位填报员" in html
    assert f'action="{reverse("logout")}"' in html and "csrfmiddlewaretoken" in html


# --- markup the CSP allows ------------------------------------------------------------------


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@pytest.mark.parametrize("name", ["home", "plan-list", "plan-detail", "task-list", "task-detail",
                                  "unit-list", "unit-detail", "login"])
def test_pages_have_no_inline_script_or_style(client, office, plan, task_1_1, name):
    args = {"plan-detail": [plan.pk], "task-detail": [task_1_1.pk],
            "unit-detail": [task_1_1.units.first().pk]}.get(name, [])
    if name != "login":
        client.force_login(office)
    html = client.get(reverse(name, args=args)).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert " style=" not in html and "<style" not in html
    assert "//cdn" not in html and "https://" not in html


# --- sign-in, lockout, logout -----------------------------------------------------------------


def test_login_page_is_in_chinese_and_signs_in(client, lead_user):
    page = client.get(reverse("login"))
    assert "用户登录" in page.content.decode() and "密码" in page.content.decode()
    response = client.post(reverse("login"), {"username": lead_user.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_wrong_password_is_explained(client, lead_user):
    response = client.post(reverse("login"), {"username": lead_user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_five_wrong_passwords_lock_the_account(client, lead_user):
    for _ in range(4):
        response = client.post(reverse("login"), {"username": lead_user.username, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": lead_user.username, "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "账号已被临时锁定" in html and "15 分钟" in html and "连续 5 次" in html
    # Even the right password is refused while the lock lasts.
    response = client.post(reverse("login"), {"username": lead_user.username, "password": DEMO_PASSWORD})
    assert response.status_code == 429


def test_logout_requires_post_and_a_csrf_token(lead_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead_user)
    assert client.get(reverse("logout")).status_code == 405
    refused = client.post(reverse("logout"))
    assert refused.status_code == 403
    assert "页面已过期" in refused.content.decode()  # templates/403_csrf.html
    assert client.get(reverse("home")).status_code == 200  # still signed in

    client.get(reverse("home"))  # sets the CSRF cookie, as the page with the logout form does
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_filter_labels_survive_fields_built_before_the_page(as_office):
    # Whoever touches TaskFilter's class-level filters first (the OpenAPI schema generator
    # does) makes django-filter build and cache their form fields; the page's labels must not
    # depend on coming first.
    from tasks.filters import TaskFilter

    filters = [TaskFilter.base_filters[name] for name in ("plan", "group", "unit", "role", "kind")]
    try:
        for base_filter in filters:
            assert base_filter.field is not None  # builds and caches the field
        html = as_office.get(reverse("task-list")).content.decode()
    finally:
        for base_filter in filters:
            base_filter.__dict__.pop("_field", None)
    assert "---------" not in html
    assert '<option value="" selected>全部</option>' in html
    assert ">（三）进一步深化商事制度改革</option>" in html
