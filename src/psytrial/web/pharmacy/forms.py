"""Forms of the pharmacy pages: the weight to dose by, and the record of an injection."""

from __future__ import annotations

from django import forms

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class WeightForm(forms.Form):
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        max_digits=7,
        decimal_places=3,
        min_value=0,
        required=False,
        help_text="Leave empty to use the weight on the baseline form.",
        widget=forms.NumberInput(attrs={"step": "0.001", "inputmode": "decimal"}),
    )


class AdministrationForm(forms.Form):
    kit_code = forms.CharField(
        label="Kit code on the syringe label",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    administered_at = forms.DateTimeField(
        label="Time of injection",
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(format=DATETIME_LOCAL, attrs={"type": "datetime-local"}),
    )
    volume_ml = forms.DecimalField(
        label="Volume injected (ml)",
        max_digits=7,
        decimal_places=3,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
