"""Forms of the governance screens: they validate and render; the services save (and re-check under a lock)."""

from __future__ import annotations

from django import forms

from .models import ApprovalTier, AutomationPolicy
from .services import POLICY_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})


class ApprovalTierForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ApprovalTier
        fields = ["action", "value_above", "value_up_to", "required_role", "effective_from", "effective_to"]
        widgets = {"effective_from": DATE, "effective_to": DATE}
        labels = {"value_above": "Value above", "value_up_to": "Value up to"}


class AutomationPolicyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AutomationPolicy
        fields = [name for name in POLICY_FIELDS if name != "active"]  # the fields a policy change audits
        widgets = {"effective_from": DATE, "effective_to": DATE}
        labels = {
            "abc_classes": "ABC classes",
            "xyz_classes": "XYZ classes",
            "min_supplier_reliability": "Supplier reliability at least",
            "max_value": "Value at most",
            "max_amount": "Spend at most",
            "min_confidence": "Confidence at least",
            "require_no_quality_flags": "No data-quality flags",
        }

    def clean_abc_classes(self) -> str:
        return (self.cleaned_data.get("abc_classes") or "").upper().replace(" ", "")

    def clean_xyz_classes(self) -> str:
        return (self.cleaned_data.get("xyz_classes") or "").upper().replace(" ", "")


class ApprovalDecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reason_code = forms.CharField(required=False, max_length=40)
