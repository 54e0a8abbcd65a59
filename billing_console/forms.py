from django import forms
from django.forms.renderers import TemplatesSetting


class ConsoleFormRenderer(TemplatesSetting):
    """`{{ form }}` renders our markup, with errors beside each field, everywhere (Luke Plant)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. 'ingest service'.")
