"""The console's embed card (a getEmbeddableUrl body built from a form) and the allowed
framing origins form of Settings → Embeds."""

from typing import Any

from django import forms
from django.conf import settings

from billing_console.embedding import LONGEST_LIFETIME
from embeds.grants import COLOR_NAMES, HEX_COLOR

DASHBOARD_CHOICES = (
    ("invoices", "Invoices"),
    ("usage", "Usage and spend"),
    ("commits_and_credits", "Commits and credits"),
    ("credits", "Credits only"),
)
LIFETIMES = (  # seconds
    (900, "15 minutes"), (3600, "1 hour"), (86400, "1 day"), (7 * 86400, "7 days"),
    (LONGEST_LIFETIME, "30 days"),
)  # fmt: skip
# static/css/embed.css's defaults, shown as each colour field's placeholder
DEFAULT_COLORS = {
    "Gray_dark": "#1d2430", "Gray_medium": "#6a7383", "Gray_light": "#e3e6eb",
    "Gray_extralight": "#f6f7f9", "White": "#ffffff", "Primary_medium": "#2454d6",
    "Primary_light": "#e8eefc", "Primary_green": "#1c7c4a", "Primary_red": "#c4321f",
    "Progress_bar": "#2454d6", "Progress_bar_background": "#e3e6eb", "Action": "#2454d6",
    "Action_hover": "#1a3fa3", "UsageLine_0": "#2454d6", "UsageLine_1": "#1c7c4a",
    "UsageLine_2": "#a86b00", "UsageLine_3": "#c4321f", "UsageLine_4": "#6b46c1",
    "UsageLine_5": "#0e7490", "UsageLine_6": "#be185d", "UsageLine_7": "#4d7c0f",
    "UsageLine_8": "#9a3412", "UsageLine_9": "#334155",
}  # fmt: skip
# What each colour paints, for the form's labels (Metronome's names stay the field names).
COLOR_LABELS = {
    "Gray_dark": "Text", "Gray_medium": "Muted text", "Gray_light": "Lines",
    "Gray_extralight": "Table header", "White": "Background", "Primary_medium": "Primary",
    "Primary_light": "Primary, light", "Primary_green": "Positive", "Primary_red": "Negative",
    "Progress_bar": "Progress bar", "Progress_bar_background": "Progress bar track",
    "Action": "Links", "Action_hover": "Links, hovered",
    **{f"UsageLine_{i}": f"Usage line {i + 1}" for i in range(10)},
}  # fmt: skip


def _color_field(name: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=9,
        label=COLOR_LABELS[name],
        widget=forms.TextInput(
            attrs={"placeholder": DEFAULT_COLORS[name], "pattern": "#[0-9a-fA-F]{3,8}",
                   "autocomplete": "off", "spellcheck": "false", "class": "mono"}
        ),
    )  # fmt: skip


class EmbedLinkForm(forms.Form):
    dashboard = forms.ChoiceField(choices=DASHBOARD_CHOICES, initial="invoices")
    lifetime = forms.TypedChoiceField(
        label="Link expires after",
        choices=LIFETIMES,
        coerce=int,
        help_text="Whoever has the link sees this customer's dashboard until then.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "embed-%s")
        super().__init__(*args, **kwargs)
        default = settings.EMBED_URL_MAX_AGE
        self.fields["lifetime"].initial = default if default in dict(LIFETIMES) else 3600
        for name in COLOR_NAMES:
            self.fields[f"color_{name}"] = _color_field(name)

    def color_fields(self) -> list[forms.BoundField]:
        return [self[f"color_{name}"] for name in COLOR_NAMES]

    def main_fields(self) -> list[forms.BoundField]:
        return [self["dashboard"], self["lifetime"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in COLOR_NAMES:
            value = (data.get(f"color_{name}") or "").strip()
            if value and not value.startswith("#"):
                value = f"#{value}"
            if value and not HEX_COLOR.match(value):
                self.add_error(f"color_{name}", "A hex colour such as #1a2b3c.")
            data[f"color_{name}"] = value
        return data

    def wire(self, customer_id: str) -> dict[str, Any]:
        """The getEmbeddableUrl body these choices stand for."""
        data = self.cleaned_data
        colors = [
            {"name": name, "value": data[f"color_{name}"]}
            for name in COLOR_NAMES
            if data.get(f"color_{name}")
        ]
        return {"customer_id": customer_id, "dashboard": data["dashboard"], "color_overrides": colors}  # fmt: skip


class FrameOriginForm(forms.Form):
    origin = forms.CharField(
        max_length=300,
        label="Origin",
        help_text="The site that shows the dashboards, e.g. https://app.example.com "
        "(a port if not 443: https://app.example.com:8443).",
        widget=forms.TextInput(
            attrs={"placeholder": "https://app.example.com", "inputmode": "url"}
        ),
    )
