"""Statuses and kinds of the reports layer, with their labels and badge colours."""

from __future__ import annotations

from django.db import models


class DispatchReportKind(models.TextChoices):
    """What the office reports upward: the monthly dispatch report and the two packs."""

    MONTHLY = "monthly", "月调度报告"
    HALF_YEAR = "half_year", "半年工作总结会材料"
    ANNUAL = "annual", "年度总结报告"

    @property
    def numbers(self) -> range:
        """The valid ``number`` of a report of this kind: the month, the half, 0 for the year."""
        return {"monthly": range(1, 13), "half_year": range(1, 3), "annual": range(0, 1)}[self.value]

    def months(self, number: int) -> range:
        """The months of the year the report covers."""
        if self is DispatchReportKind.MONTHLY:
            return range(number, number + 1)
        if self is DispatchReportKind.HALF_YEAR:
            return range(1, 7) if number == 1 else range(7, 13)
        return range(1, 13)

    def title(self, year: int, number: int) -> str:
        """「2020年10月调度报告」, 「2020年上半年工作总结会材料」, 「2020年度总结报告」: the period, then
        what the report is (the kind's label would say 月, 半年, 年度 twice)."""
        suffix = {"monthly": "调度报告", "half_year": "工作总结会材料", "annual": "总结报告"}[self.value]
        return f"{self.period_label(year, number)}{suffix}"

    def period_label(self, year: int, number: int) -> str:
        """「2020年10月」, 「2020年上半年」, 「2020年度」."""
        if self is DispatchReportKind.MONTHLY:
            return f"{year}年{number}月"
        if self is DispatchReportKind.HALF_YEAR:
            return f"{year}年{'上' if number == 1 else '下'}半年"
        return f"{year}年度"


class DispatchReportStatus(models.TextChoices):
    """pending (queued) → building → ready, or failed; a rebuild starts again from pending."""

    PENDING = "pending", "排队中"
    BUILDING = "building", "正在生成"
    READY = "ready", "已生成"
    FAILED = "failed", "生成失败"

    @property
    def badge(self) -> str:
        return {"pending": "badge-muted", "building": "badge-info",
                "ready": "badge-green", "failed": "badge-red"}[self.value]

    @classmethod
    def in_progress(cls) -> frozenset[str]:
        """A build is queued or running: another request must not start a second one."""
        return frozenset({cls.PENDING, cls.BUILDING})
