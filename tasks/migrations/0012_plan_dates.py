"""A plan's dates in force (starts_on, ends_on), first set from the years of its title."""

import datetime

from django.db import migrations, models


def dates_from_years(apps, schema_editor):
    for name in ["ActionPlan", "HistoricalActionPlan"]:
        model = apps.get_model("tasks", name)
        for row in model.objects.all().only("pk", "start_year", "end_year"):
            model.objects.filter(pk=row.pk).update(
                starts_on=datetime.date(row.start_year, 1, 1), ends_on=datetime.date(row.end_year, 12, 31),
            )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0011_notification_unsent_index")]

    operations = [
        migrations.AddField("actionplan", "starts_on", models.DateField("开始日期", null=True)),
        migrations.AddField("actionplan", "ends_on", models.DateField("结束日期", null=True)),
        migrations.AddField("historicalactionplan", "starts_on", models.DateField("开始日期", null=True)),
        migrations.AddField("historicalactionplan", "ends_on", models.DateField("结束日期", null=True)),
        migrations.RunPython(dates_from_years, migrations.RunPython.noop),
        migrations.AlterField("actionplan", "starts_on", models.DateField("开始日期")),
        migrations.AlterField("actionplan", "ends_on", models.DateField("结束日期")),
        migrations.AlterField("historicalactionplan", "starts_on", models.DateField("开始日期")),
        migrations.AlterField("historicalactionplan", "ends_on", models.DateField("结束日期")),
        migrations.AlterModelOptions(
            name="actionplan", options={"ordering": ["-starts_on", "id"], "verbose_name": "行动方案", "verbose_name_plural": "行动方案"},
        ),
        migrations.AddConstraint(
            "actionplan", models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="plan_dates_ordered"),
        ),
    ]
