"""Writes of supervision, one module per concern: inspections (rounds, findings,
rectification, extensions), the escalation ladder, and the messenger webhook."""

from supervision.services.inspections import (
    SupervisionError,
    extension_decide,
    extension_request,
    finding_create,
    finding_evidence_delete,
    finding_rectification_save,
    finding_submit,
    finding_verify,
    round_create,
    round_open_quarter,
    round_update,
)
from supervision.services.ladder import (
    bulletin_compile,
    deadline_scan,
    escalation_reply,
    escalation_send,
    escalation_webhook_post,
)
from supervision.services.messenger import messenger_webhook_save

__all__ = [
    "SupervisionError", "bulletin_compile", "deadline_scan", "escalation_reply", "escalation_send",
    "escalation_webhook_post", "extension_decide", "extension_request", "finding_create",
    "finding_evidence_delete", "finding_rectification_save", "finding_submit", "finding_verify",
    "messenger_webhook_save", "round_create", "round_open_quarter", "round_update",
]
