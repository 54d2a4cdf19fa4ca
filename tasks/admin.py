"""管理后台 for the tasks domain. Models with history use SimpleHistoryAdmin, so every change
made here is kept with its author (the history pages show who changed what, and when)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from tasks.models import (
    ActionPlan,
    AnnualWorkPlan,
    Contribution,
    Evidence,
    Indicator,
    IndicatorActual,
    Notification,
    PlanImportRun,
    PlanTarget,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    TaskGroup,
    Unit,
    UnitAlias,
    User,
    WorkingDayOverride,
)


class UnitAliasInline(admin.TabularInline):
    model = UnitAlias
    extra = 0


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "kind", "parent", "sort_order", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name", "aliases__alias"]
    autocomplete_fields = ["parent", "members"]
    inlines = [UnitAliasInline]


@admin.register(UnitAlias)
class UnitAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "unit", "note"]
    list_filter = ["unit__kind"]
    list_select_related = ["unit"]
    search_fields = ["alias", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts. The office manages the accounts of the units (names, units, roles, passwords,
    active or not) but never privileges: superuser status, staff status, groups and permissions
    are shown and saved only for a superuser, and superusers' accounts (their passwords too) are
    invisible to everyone else — so no office account can raise itself or take over one above it.
    Only a superuser makes superusers."""

    list_display = ["username", "full_name", "unit", "role", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "unit__kind"]
    list_select_related = ["unit"]
    search_fields = ["username", "full_name", "unit__name", "email"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("单位与角色", {"fields": ["full_name", "unit", "role", "email_notifications"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("单位与角色", {"classes": ["wide"], "fields": ["full_name", "unit", "role"]}),
    ]
    PRIVILEGE_FIELDS = frozenset({"is_superuser", "is_staff", "groups", "user_permissions"})

    def get_queryset(self, request):
        users = super().get_queryset(request)
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in self.PRIVILEGE_FIELDS]})
            for name, options in fieldsets
        ]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else [f for f in filters if f != "is_staff"]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # The form of a non-superuser has no privilege fields, so a forged POST cannot set them;
        # this is the last line in case a field list changes.
        if not request.user.is_superuser and obj.is_superuser:
            raise PermissionDenied("只有超级管理员可以设置超级管理员。")
        super().save_model(request, obj, form, change)


class PlanTargetInline(admin.TabularInline):
    model = PlanTarget
    extra = 0


@admin.register(ActionPlan)
class ActionPlanAdmin(SimpleHistoryAdmin):
    """The plan's dates are shown, not edited, here: its end moves on the plan's page, with a reason
    kept on record (调整结束日期)."""

    list_display = ["title", "start_year", "end_year", "starts_on", "ends_on", "imported_at"]
    search_fields = ["title"]
    readonly_fields = ["starts_on", "ends_on", "source_sha256", "imported_at"]
    inlines = [PlanTargetInline]
    fieldsets = [
        (None, {"fields": ["title", "start_year", "end_year", "starts_on", "ends_on", "preamble", "closing_text"]}),
        ("原文", {"classes": ["collapse"], "fields": ["source_text", "source_sha256", "imported_at"]}),
    ]


@admin.register(PlanTarget)
class PlanTargetAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "year"]
    list_filter = ["plan", "year"]
    list_select_related = ["plan"]
    search_fields = ["text"]


@admin.register(TaskGroup)
class TaskGroupAdmin(SimpleHistoryAdmin):
    list_display = ["numeral", "title", "kind", "number", "plan"]
    list_display_links = ["title"]
    list_filter = ["plan", "kind"]
    list_select_related = ["plan"]
    search_fields = ["title"]

    @admin.display(description="序号")
    def numeral(self, group: TaskGroup) -> str:
        return group.numeral


class TaskAssignmentInline(admin.TabularInline):
    model = TaskAssignment
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["role", "unit", "source_name", "sort_order"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "group", "plan", "is_active"]
    list_display_links = ["code", "title"]
    list_filter = ["plan", "group__kind", "is_active", "group"]
    list_select_related = ["group", "plan"]
    search_fields = ["code", "title", "text"]
    autocomplete_fields = ["group"]
    inlines = [TaskAssignmentInline]


@admin.register(TaskAssignment)
class TaskAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["task", "role", "unit", "source_name"]
    list_filter = ["role", "unit__kind", "task__plan"]
    list_select_related = ["task", "unit"]
    search_fields = ["task__code", "task__title", "unit__name", "source_name"]
    autocomplete_fields = ["task", "unit"]


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "task", "period", "target", "plan"]
    list_filter = ["plan", "year", "comparator"]
    list_select_related = ["task", "plan"]
    search_fields = ["name", "key", "source_excerpt", "task__code", "task__title"]
    autocomplete_fields = ["task"]

    @admin.display(description="期限", ordering="year")
    def period(self, indicator: Indicator) -> str:
        return indicator.period_display

    @admin.display(description="目标")
    def target(self, indicator: Indicator) -> str:
        return indicator.target_display


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(SimpleHistoryAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    search_fields = ["note"]
    date_hierarchy = "date"


@admin.register(PlanImportRun)
class PlanImportRunAdmin(admin.ModelAdmin):
    """Import runs are written by the import job; the admin only shows them."""

    list_display = ["filename", "status", "plan", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["plan", "created_by"]
    search_fields = ["filename"]
    exclude = ["text"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- monthly dispatch: read-only here. Filings change only through the review flow (the pages
# and the API), so that every change has its review event and notifications.


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "due_date", "due_provisional", "status"]
    list_filter = ["status", "year"]


class FilingAdmin(ReadOnlyAdmin):
    list_filter = ["status", "is_late"]
    list_select_related = ["task", "unit"]
    search_fields = ["task__code", "task__title", "unit__name"]
    raw_id_fields = ["task", "unit", "created_by"]


@admin.register(ProgressReport)
class ProgressReportAdmin(FilingAdmin):
    list_display = ["period", "task", "unit", "status", "progress", "is_late", "submitted_at"]
    list_filter = [*FilingAdmin.list_filter, "period"]
    list_select_related = [*FilingAdmin.list_select_related, "period"]


@admin.register(Contribution)
class ContributionAdmin(FilingAdmin):
    list_display = ["period", "task", "unit", "status", "is_late", "submitted_at"]
    list_select_related = [*FilingAdmin.list_select_related, "period"]


@admin.register(AnnualWorkPlan)
class AnnualWorkPlanAdmin(FilingAdmin):
    list_display = ["year", "task", "unit", "status", "due_date", "is_late", "submitted_at"]


@admin.register(IndicatorActual)
class IndicatorActualAdmin(ReadOnlyAdmin):
    list_display = ["report", "indicator", "value"]
    list_select_related = ["report__period", "report__task", "report__unit", "indicator"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["uploaded_by"]


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "from_status", "to_status", "actor", "is_late"]
    list_filter = ["action"]
    list_select_related = ["actor"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "title", "read_at"]
    list_select_related = ["recipient"]
