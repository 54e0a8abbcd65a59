from django import forms

from webhooks.models import WebhookEndpoint

# Event types the platform emits today (others may be added by new producers; any
# "family.*" pattern is accepted too).
KNOWN_EVENT_TYPES = (
    "alerts.*",
    "payment_gate.threshold_reached",
    "payment_gate.external_initiate",
    "payment_gate.payment_status",
    "invoice.*",  # invoice.finalized, invoice.voided, invoice.paid, invoice.payment_failed
    "webhook.test",
)


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=2000, assume_scheme="https",
        help_text="Where events are POSTed (for Slack: the incoming-webhook URL).",
    )  # fmt: skip
    description = forms.CharField(max_length=200, required=False)
    kind = forms.ChoiceField(choices=WebhookEndpoint.KINDS, initial=WebhookEndpoint.KIND_WEBHOOK)
    event_types = forms.CharField(
        required=False,
        help_text="Comma-separated event types, e.g. "
        + ", ".join(KNOWN_EVENT_TYPES[:2])
        + ". Empty: every event type.",
    )

    def clean_event_types(self) -> list[str]:
        raw = self.cleaned_data.get("event_types") or ""
        return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]
