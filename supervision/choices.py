"""Statuses and kinds of supervision (督查督办), with their labels and badge colours."""

from django.db import models


class RoundStatus(models.TextChoices):
    PLANNED = "planned", "计划中"
    IN_PROGRESS = "in_progress", "督查中"
    CONCLUDED = "concluded", "已结束"

    @property
    def badge(self) -> str:
        return {"planned": "badge-muted", "in_progress": "badge-info", "concluded": "badge-green"}[self.value]


class InspectionMethod(models.TextChoices):
    FOUR_NOS = "four_nos", "四不两直"
    SPECIAL = "special", "专项督查"
    UNANNOUNCED = "unannounced", "明察暗访"
    RANDOM = "random", "随机抽查"
    DESK = "desk", "资料审查"


class Severity(models.TextChoices):
    GENERAL = "general", "一般"
    SERIOUS = "serious", "较重"
    GRAVE = "grave", "严重"

    @property
    def badge(self) -> str:
        return {"general": "badge-muted", "serious": "badge-yellow", "grave": "badge-red"}[self.value]


class FindingStatus(models.TextChoices):
    """open → rectifying → submitted → closed (销号); a rejection goes back to rectifying."""

    OPEN = "open", "待整改"
    RECTIFYING = "rectifying", "整改中"
    SUBMITTED = "submitted", "待核验"
    CLOSED = "closed", "已销号"

    @property
    def badge(self) -> str:
        return {"open": "badge-red", "rectifying": "badge-yellow",
                "submitted": "badge-info", "closed": "badge-green"}[self.value]

    @classmethod
    def pending_unit(cls) -> frozenset[str]:
        """The unit still owes the rectification: the deadline runs."""
        return frozenset({cls.OPEN, cls.RECTIFYING})


class EvidenceStage(models.TextChoices):
    INSPECTION = "inspection", "督查取证"
    RECTIFICATION = "rectification", "整改佐证"



class FindingAction(models.TextChoices):
    CREATE = "create", "登记问题"
    START = "start", "开始整改"
    SUBMIT = "submit", "提交核验"
    REJECT = "reject", "退回整改"
    CLOSE = "close", "销号"
    EXTEND = "extend", "延期"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    GRANTED = "granted", "已同意"
    REFUSED = "refused", "未同意"

    @property
    def badge(self) -> str:
        return {"pending": "badge-info", "granted": "badge-green", "refused": "badge-red"}[self.value]


class Level(models.TextChoices):
    """The escalation ladder (督办升级): each step is firmer than the last."""

    REMINDER = "reminder", "提醒"
    URGE = "urge", "催办"
    NOTICE = "notice", "督办单"
    BULLETIN = "bulletin", "通报"

    @property
    def badge(self) -> str:
        return {"reminder": "badge-info", "urge": "badge-yellow",
                "notice": "badge-red", "bulletin": "badge-red"}[self.value]

    @property
    def rank(self) -> int:
        return {"reminder": 0, "urge": 1, "notice": 2, "bulletin": 3}[self.value]


class ItemKind(models.TextChoices):
    """What the ladder chases: a monthly progress report, an annual work plan, a finding."""

    REPORT = "report", "月度进展"
    ANNUAL_PLAN = "annual_plan", "年度工作方案"
    FINDING = "finding", "督查问题"


class Channel(models.TextChoices):
    INBOX = "inbox", "站内消息"
    EMAIL = "email", "邮件"
    WEBHOOK = "webhook", "企业微信"
