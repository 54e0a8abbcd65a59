from django import forms


def _split_aliases(raw: str) -> list[str]:
    return [a.strip() for a in raw.replace("\n", ",").split(",") if a.strip()]


class CustomerCreateForm(forms.Form):
    name = forms.CharField(max_length=160)
    ingest_aliases = forms.CharField(
        required=False,
        help_text="Comma-separated ids that usage events may use for this customer.",
    )

    def clean_ingest_aliases(self) -> list[str]:
        return _split_aliases(self.cleaned_data["ingest_aliases"])


class CustomerNameForm(forms.Form):
    name = forms.CharField(max_length=160)


class CustomerAliasesForm(forms.Form):
    ingest_aliases = forms.CharField(required=False, help_text="Comma-separated.")

    def clean_ingest_aliases(self) -> list[str]:
        return _split_aliases(self.cleaned_data["ingest_aliases"])


class CustomFieldForm(forms.Form):
    key = forms.CharField(max_length=200)
    value = forms.CharField(max_length=2000)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(
        required=False,
        choices=[("active", "Active"), ("archived", "Archived"), ("all", "All")],
    )
