"""Statuses and kinds of the tasks domain, with their labels and badge colours."""

from django.db import models


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", "新区部门"
    OFFICE = "office", "内设机构"
    NEW_CITY = "new_city", "新城"
    ZONE = "zone", "功能区"
    ENTERPRISE = "enterprise", "企业"
    AGENCY = "agency", "驻区机构"
    COLLECTIVE = "collective", "统称"


class Role(models.TextChoices):
    """What a user does in the portal. Every user belongs to one unit."""

    OFFICE = "office", "营商办"
    INSPECTOR = "inspector", "督查室"
    LEADER = "leader", "领导"
    UNIT_STAFF = "unit_staff", "单位填报员"

    @classmethod
    def sees_everything(cls) -> frozenset[str]:
        return frozenset({cls.OFFICE, cls.INSPECTOR, cls.LEADER})


class GroupKind(models.TextChoices):
    """The three parts of a plan that hold tasks: 主要任务, 保障措施, 工作要求."""

    MAIN = "main", "主要任务"
    SAFEGUARD = "safeguard", "保障措施"
    REQUIREMENT = "requirement", "工作要求"

    @property
    def code_prefix(self) -> str:
        """Prefix of task codes in this part: 「2.6」 for main tasks, 「保障3」, 「要求1」."""
        return {"main": "", "safeguard": "保障", "requirement": "要求"}[self.value]


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "牵头单位"
    SUPPORTING = "supporting", "配合单位"

    @property
    def badge(self) -> str:
        return {"lead": "badge-lead", "supporting": "badge-supporting"}[self.value]


class Comparator(models.TextChoices):
    LE = "le", "≤"
    GE = "ge", "≥"
    EQ = "eq", "="
    RANGE = "range", "区间"


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", "待确认"
    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"

    @property
    def badge(self) -> str:
        return {"preview": "badge-muted", "pending": "badge-muted", "running": "badge-info",
                "succeeded": "badge-green", "failed": "badge-red"}[self.value]

    @property
    def is_final(self) -> bool:
        return self in {ImportStatus.SUCCEEDED, ImportStatus.FAILED}


class PlanStatus(models.TextChoices):
    """A plan's lifecycle, from its dates and today: 未开始 before ``starts_on``, 执行中 to
    ``ends_on``, 已结束 after it (its figures then freeze at its final moment)."""

    UPCOMING = "upcoming", "未开始"
    ACTIVE = "active", "执行中"
    ENDED = "ended", "已结束"

    @property
    def badge(self) -> str:
        return {"upcoming": "badge-info", "active": "badge-green", "ended": "badge-muted"}[self.value]


class PeriodStatus(models.TextChoices):
    OPEN = "open", "填报中"
    CLOSED = "closed", "已关闭"


class FilingStatus(models.TextChoices):
    """The review flow shared by progress reports, contributions and annual work plans."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已通过"

    @property
    def badge(self) -> str:
        return {"draft": "badge-muted", "submitted": "badge-info",
                "returned": "badge-red", "approved": "badge-green"}[self.value]

    @classmethod
    def editable(cls) -> frozenset[str]:
        """The unit may still change what it wrote."""
        return frozenset({cls.DRAFT, cls.RETURNED})


class TaskStatus:
    """审核状态 of a task in the month: the least advanced of its lead units' last due reports."""

    NOT_DUE = "not_due"
    MISSING = "missing"
    RETURNED = "returned"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    LABELS = {NOT_DUE: "尚无到期填报", MISSING: "未报送", RETURNED: "已退回", SUBMITTED: "待审核", APPROVED: "已通过"}
    ORDER = [MISSING, RETURNED, SUBMITTED, APPROVED, NOT_DUE]

    @classmethod
    def of(cls, standing) -> str:
        """Of a lead unit's row of the as-of state (``StandingRow`` or the stored ``Standing``)."""
        if standing.last_period_id is None:
            return cls.NOT_DUE
        return {
            FilingStatus.SUBMITTED: cls.SUBMITTED, FilingStatus.APPROVED: cls.APPROVED,
            FilingStatus.RETURNED: cls.RETURNED,
        }.get(standing.last_status, cls.MISSING)


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", "提交"
    APPROVE = "approve", "审核通过"
    RETURN = "return", "退回修改"
    REOPEN = "reopen", "重新打开"


class Light(models.TextChoices):
    """红黄绿灯, computed from data, never set by hand."""

    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"

    @property
    def badge(self) -> str:
        return f"badge-{self.value}"

    @property
    def rank(self) -> int:
        return {"green": 0, "yellow": 1, "red": 2}[self.value]
