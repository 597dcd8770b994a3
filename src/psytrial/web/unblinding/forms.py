"""The emergency unblinding request form: the reason is required."""

from __future__ import annotations

from django import forms


class RequestForm(forms.Form):
    reason = forms.CharField(
        label="Clinical reason the arm must be known now",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "reason: expected why the arm must be known, got nothing"},
    )
