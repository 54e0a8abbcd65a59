from django import forms

from crm.models import AuthMethod, EntityKind, SalesforceMapping

FIELD_MAP_LINE_INVALID = "Line {n}: write one mapping a line as source_field = Salesforce_Field__c."


class ConnectionForm(forms.Form):
    instance_url = forms.CharField(
        label="Instance URL", max_length=300,
        help_text="Your org's My Domain address, e.g. https://acme.my.salesforce.com.",
    )  # fmt: skip
    auth_method = forms.ChoiceField(label="Sign-in method", choices=AuthMethod.choices)
    username = forms.CharField(max_length=200, required=False)
    password = forms.CharField(
        required=False, widget=forms.PasswordInput,
        help_text="Stored encrypted, never shown again. Leave blank to keep the stored one.",
    )  # fmt: skip
    security_token = forms.CharField(
        required=False, widget=forms.PasswordInput,
        help_text="Leave blank to keep the stored one (none is needed from trusted addresses).",
    )  # fmt: skip
    consumer_key = forms.CharField(label="Consumer key", max_length=300, required=False)
    consumer_secret = forms.CharField(
        required=False, widget=forms.PasswordInput,
        help_text="Of the connected app (client credentials flow). Leave blank to keep it.",
    )  # fmt: skip
    api_version = forms.CharField(label="API version", max_length=8, initial="62.0")
    is_enabled = forms.BooleanField(
        label="Push changes to Salesforce", required=False, initial=True
    )


class MappingForm(forms.Form):
    sobject = forms.CharField(
        label="Salesforce object", max_length=80,
        help_text="API name, e.g. Metronome_Contract__c.",
    )  # fmt: skip
    external_id_field = forms.CharField(
        label="External ID field", max_length=80,
        help_text="Holds our id; pushes upsert by it, so a retried push updates the same record.",
    )  # fmt: skip
    account_field = forms.CharField(
        label="Account lookup field", max_length=80, required=False,
        help_text="Set to the customer's Salesforce account id, e.g. Account__c. Optional.",
    )  # fmt: skip
    field_map = forms.CharField(
        label="Fields", required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One a line: our field = Salesforce field.",
    )  # fmt: skip
    is_enabled = forms.BooleanField(label="Push these", required=False, initial=True)

    def __init__(self, *args: object, kind: str, **kwargs: object) -> None:
        self.kind = kind
        kwargs.setdefault("prefix", kind)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean_field_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        lines = (self.cleaned_data.get("field_map") or "").splitlines()
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            source, sep, target = line.partition("=")
            if not sep or not source.strip() or not target.strip():
                raise forms.ValidationError(FIELD_MAP_LINE_INVALID.format(n=n))
            out[source.strip()] = target.strip()
        return out


def mapping_initial(mapping: SalesforceMapping | None) -> dict[str, object]:
    if mapping is None:
        return {"is_enabled": True}
    return {
        "sobject": mapping.sobject,
        "external_id_field": mapping.external_id_field,
        "account_field": mapping.account_field,
        "field_map": "\n".join(f"{k} = {v}" for k, v in mapping.field_map.items()),
        "is_enabled": mapping.is_enabled,
    }


# (kind, plural label): section headings and the log's filter.
KINDS = [
    (EntityKind.CONTRACT.value, "Contracts"),
    (EntityKind.COMMIT.value, "Commits and credits"),
    (EntityKind.INVOICE.value, "Invoices"),
    (EntityKind.LIFECYCLE_EVENT.value, "Lifecycle events"),
]
