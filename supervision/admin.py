"""管理后台 for supervision: read-only. Rounds, findings and the ladder change only through the
portal's pages and API (services), so that every change has its event, notifications and
ladder step; the history pages show who changed what, and when."""

from django.contrib import admin

from supervision.models import (
    Bulletin,
    Counter,
    Escalation,
    ExtensionRequest,
    Finding,
    FindingEvent,
    FindingEvidence,
    InspectionRound,
    MessengerWebhook,
    Rectification,
)
from tasks.admin import ReadOnlyAdmin


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """For records without a history of their own: they are written once and never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InspectionRound)
class InspectionRoundAdmin(ReadOnlyAdmin):
    list_display = ["title", "year", "quarter", "method", "status", "start_date", "end_date"]
    list_filter = ["status", "method", "year"]
    search_fields = ["title", "conclusion"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["number", "unit", "severity", "status", "found_on", "due_date"]
    list_filter = ["status", "severity", "round"]
    list_select_related = ["unit"]
    search_fields = ["number", "description", "unit__name"]
    raw_id_fields = ["round", "task", "unit", "created_by"]


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ["finding", "submitted_at", "updated_by", "updated_at"]
    list_select_related = ["finding__unit", "updated_by"]


@admin.register(FindingEvidence)
class FindingEvidenceAdmin(ReadOnlyRecordAdmin):
    list_display = ["original_name", "stage", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["uploaded_by"]


@admin.register(FindingEvent)
class FindingEventAdmin(ReadOnlyRecordAdmin):
    list_display = ["at", "finding", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    list_select_related = ["finding__unit", "actor"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["finding", "requested_due_date", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["finding__unit"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyRecordAdmin):
    list_display = ["created_at", "level", "item_kind", "unit", "due_date", "overdue_days", "is_manual", "replied_at"]
    list_filter = ["level", "item_kind", "is_manual"]
    list_select_related = ["unit"]
    search_fields = ["key", "message", "unit__name"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyRecordAdmin):
    list_display = ["__str__", "compiled_at", "compiled_by"]
    list_select_related = ["compiled_by"]


@admin.register(MessengerWebhook)
class MessengerWebhookAdmin(ReadOnlyAdmin):
    list_display = ["url", "is_active", "updated_by", "updated_at"]


@admin.register(Counter)
class CounterAdmin(ReadOnlyRecordAdmin):
    list_display = ["name", "value"]
