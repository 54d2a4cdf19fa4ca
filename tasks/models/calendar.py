"""The office's corrections of the working-day calendar (工作日调整)."""

from django.db import models
from simple_history.models import HistoricalRecords


class WorkingDayOverride(models.Model):
    """An office-entered calendar day: a holiday or make-up working day (调休) the calendar
    library does not know yet, or a correction of it. Wins over every other source."""

    date = models.DateField("日期", unique=True)
    is_working = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=100, blank=True, help_text="如：2027年春节、春节调休上班")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "工作日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_working else '休息'} {self.note}".strip()
