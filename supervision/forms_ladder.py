"""Forms of the escalation ladder's pages (督办). They shape and check input; the rules —
who may send, reply or decide, and when — live in ``supervision.services``."""

from __future__ import annotations

from django import forms


class ReplyForm(forms.Form):
    """The responsible unit's answer to a 催办 or 督办单."""

    reply = forms.CharField(label="回复内容", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
                            error_messages={"required": "请填写回复内容。"})
