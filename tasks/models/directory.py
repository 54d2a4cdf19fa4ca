"""Units (单位) and accounts: who belongs where, and what a user may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tasks.choices import Role, UnitKind


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user) -> UnitQuerySet:
        """The unit directory is open to every signed-in user."""
        return self if user.is_authenticated else self.none()

    def assignable(self) -> UnitQuerySet:
        """Units that can hold a task or an account (a collective name cannot)."""
        return self.exclude(kind=UnitKind.COLLECTIVE)


class Unit(models.Model):
    """单位: a department, an office inside one, a new city, an enterprise or a collective name."""

    name = models.CharField("全称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=40)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    # A collective such as 「各新城」 stands for its members; one without members
    # (「新区各相关部门」) is kept as a collective assignment.
    members = models.ManyToManyField("self", verbose_name="包含单位", blank=True, symmetrical=False)
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)
    history = HistoricalRecords(excluded_fields=["sort_order"])

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class UnitAlias(models.Model):
    """Another way the documents name a unit: 「人社局」 for 新区人社民政局."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField("别名", max_length=100, unique=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位别名"
        ordering = ["alias"]

    def __str__(self) -> str:
        return f"{self.alias} → {self.unit.name}"


class UserQuerySetManager(UserManager):
    def get_queryset(self):
        # Every page shows the user's unit: load it with the user (sessions and tokens alike).
        return super().get_queryset().select_related("unit")


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.UNIT_STAFF)
    # Inbox messages are always kept in the portal; this only decides the e-mail copy.
    email_notifications = models.BooleanField("接收邮件通知", default=True)

    objects = UserQuerySetManager()

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="user_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role in Role.sees_everything()

    @property
    def is_office(self) -> bool:
        return self.is_superuser or self.role == Role.OFFICE

    def scope_units(self) -> models.QuerySet:
        """The user's unit and the offices inside it, as a subquery (runs no query by itself)."""
        return Unit.objects.filter(Q(pk=self.unit_id) | Q(parent_id=self.unit_id)).values("pk")

    def scope_unit_ids(self) -> list[int]:
        """The user's unit and the offices inside it (one query, cached on the instance)."""
        if not hasattr(self, "_scope_unit_ids"):
            if self.unit_id is None:
                self._scope_unit_ids = []
            else:
                children = Unit.objects.filter(parent_id=self.unit_id).values_list("id", flat=True)
                self._scope_unit_ids = [self.unit_id, *children]
        return self._scope_unit_ids
