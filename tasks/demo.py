"""Demo accounts for the seed plan: one per role, and staff of lead and supporting units."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from tasks.choices import Role
from tasks.models import Unit, User

DEMO_PASSWORD = "Xixian@2026"

# (username, full name, unit name, role)
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", "新区党工委组织部（营商办）", Role.OFFICE),
    ("yingshangban", "王营商", "新区党工委组织部（营商办）", Role.OFFICE),
    ("duchashi", "李督查", "新区督查室", Role.INSPECTOR),
    ("lingdao", "赵领导", "新区优化营商环境推进重大项目建设工作领导小组", Role.LEADER),
    ("shenpi", "陈审批", "新区行政审批与政务服务局", Role.UNIT_STAFF),
    ("shichang", "刘市监", "新区市场监督管理局", Role.UNIT_STAFF),
    ("gaige", "周改革", "新区改革创新发展局", Role.UNIT_STAFF),
    ("nongye", "吴农业", "新区农业农村局", Role.UNIT_STAFF),
    ("fengdong", "郑沣东", "沣东新城", Role.UNIT_STAFF),
    ("xixianjituan", "孙集团", "西咸集团", Role.UNIT_STAFF),
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
