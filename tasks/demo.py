"""Demo accounts (one per role, and staff of lead and supporting units) and the demo plan.

The demo plan (演示方案) is the seed plan's text with its years moved so that it is in force
today: the seed plan ended in 2022, and a portal whose only plan has ended has no monthly work
to show. Its title starts with 【演示】 and its preamble says that it is a demonstration copy;
it is imported through the same importer as any plan, and every unit resolves as in the seed.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from tasks.choices import Role
from tasks.models import ActionPlan, Unit, User
from tasks.plan_text import parse_plan
from tasks.services import plan_import

DEMO_PASSWORD = "Xixian@2026"

# (username, full name, unit name, role). The names say 演示: they are shown wherever the
# portal says who filed, reviewed or answered, and everything the demo accounts did is demo data.
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", "新区党工委组织部（营商办）", Role.OFFICE),
    ("yingshangban", "王营商（演示）", "新区党工委组织部（营商办）", Role.OFFICE),
    ("duchashi", "李督查（演示）", "新区督查室", Role.INSPECTOR),
    ("lingdao", "赵领导（演示）", "新区优化营商环境推进重大项目建设工作领导小组", Role.LEADER),
    ("shenpi", "陈审批（演示）", "新区行政审批与政务服务局", Role.UNIT_STAFF),
    ("shichang", "刘市监（演示）", "新区市场监督管理局", Role.UNIT_STAFF),
    ("gaige", "周改革（演示）", "新区改革创新发展局", Role.UNIT_STAFF),
    ("nongye", "吴农业（演示）", "新区农业农村局", Role.UNIT_STAFF),
    ("fengdong", "郑沣东（演示）", "沣东新城", Role.UNIT_STAFF),
    ("xixianjituan", "孙集团（演示）", "西咸集团", Role.UNIT_STAFF),
]

# The demo history (tasks/demo_history.py): the office account that reviews, and the accounts
# of supporting units that add their 配合情况 to the tasks they support.
DEMO_REVIEWER = "yingshangban"
DEMO_CONTRIBUTORS = ("fengdong", "xixianjituan")


OFFICE_GROUP = "营商办管理员"


def office_group_get() -> Group:
    """The admin rights of the office: units, aliases, accounts, plans, tasks, indicators and the
    working-day calendar — everything of the tasks app except deleting what keeps history."""
    group, _ = Group.objects.get_or_create(name=OFFICE_GROUP)
    perms = Permission.objects.filter(content_type__app_label="tasks").exclude(
        codename__startswith="delete_", content_type__model__in=["actionplan", "task", "taskgroup", "indicator"]
    )
    group.permissions.set(perms)
    return group


@transaction.atomic
def demo_accounts_create(*, password: str = DEMO_PASSWORD) -> list[User]:
    """Create the demo accounts, or leave existing ones as they are (their passwords too)."""
    units = {u.name: u for u in Unit.objects.filter(name__in=[a[2] for a in DEMO_ACCOUNTS])}
    users = []
    for username, full_name, unit_name, role in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "unit": units[unit_name], "role": role,
                      "is_staff": username == "admin", "is_superuser": username == "admin"},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        if role == Role.OFFICE and not user.is_superuser:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(office_group_get())
        users.append(user)
    return users


# --- the demo plan ---------------------------------------------------------------------------

DEMO_PLAN_MARK = "【演示】"
_YEAR_IN_TEXT_RE = re.compile(r"(?<!\d)(\d{4})(?=\s*年)")  # 「2020年」「2020年底」
_YEAR_IN_KEY_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")  # 「fee-inspection-2020」


def _years_moved(text: str, pattern: re.Pattern, years: range, shift: int) -> str:
    return pattern.sub(lambda m: str(int(m.group(1)) + shift) if int(m.group(1)) in years else m.group(0), text)


def demo_plan_first_year(today: datetime.date) -> int:
    """The demo plan's first year: today falls in its second."""
    return today.year - 1


def demo_plan_text(seed_text: str, *, shift: int) -> str:
    """The seed text with the years of its period moved by ``shift``, 【演示】 before its title
    and, first in its preamble, a note that it is a demonstration copy."""
    seed = parse_plan(seed_text)
    years = range(seed.start_year, seed.end_year + 1)
    note = (f"【演示说明】本方案是演示门户功能用的演示副本，不是正式文件：由《{seed.title}》原文将年份顺延{shift}年"
            f"生成，使门户中有一个正在执行的方案；方案中的进展填报、审核、督查和督办记录均为演示数据。")
    lines = _years_moved(seed_text, _YEAR_IN_TEXT_RE, years, shift).splitlines()
    title_at = next(i for i, line in enumerate(lines) if line.strip())
    lines[title_at] = DEMO_PLAN_MARK + lines[title_at].strip()
    # The preamble's first line is the first that ends a sentence (the title never does).
    preamble_at = next(i for i, line in enumerate(lines) if line.strip().endswith("。"))
    lines.insert(preamble_at, note)
    return "\n".join(lines) + "\n"


def demo_plan_indicators(rows: list[dict], *, years: range, shift: int) -> list[dict]:
    """The seed plan's indicators with their years moved as the text's are."""
    moved = []
    for row in rows:
        row = {**row, "key": _years_moved(row["key"], _YEAR_IN_KEY_RE, years, shift),
               "name": _years_moved(row["name"], _YEAR_IN_TEXT_RE, years, shift),
               "source": _years_moved(row["source"], _YEAR_IN_TEXT_RE, years, shift)}
        if row.get("year") in years:
            row["year"] += shift
        moved.append(row)
    return moved


def demo_plan_get() -> ActionPlan | None:
    """The demo plan, if it has been imported (whichever years it was given then)."""
    return ActionPlan.objects.filter(title__startswith=DEMO_PLAN_MARK).order_by("-starts_on", "pk").first()


def demo_plan_load(*, today: datetime.date) -> ActionPlan:
    """Import the demo plan so that ``today`` falls in its second year, with the seed's
    indicators; a demo plan imported before is kept as it is (running again changes nothing)."""
    existing = demo_plan_get()
    if existing is not None:
        return existing
    seed_text = Path(settings.SEED_PLAN_PATH).read_text(encoding="utf-8")
    seed = parse_plan(seed_text)
    shift = demo_plan_first_year(today) - seed.start_year
    rows = json.loads(Path(settings.SEED_INDICATORS_PATH).read_text(encoding="utf-8"))["indicators"]
    years = range(seed.start_year, seed.end_year + 1)
    return plan_import(text=demo_plan_text(seed_text, shift=shift),
                       indicators=demo_plan_indicators(rows, years=years, shift=shift)).plan
