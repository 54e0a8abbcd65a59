"""Durations and offsets from the contract start as deal desk types and reads them: "12 months",
"1 year", "starting month 2", "after 30 days". A package stores them as the API takes them,
{"unit": "MONTHS", "value": 12}; people never see that shape (nor "P1Y")."""

import re
from typing import Any

from django import forms

UNITS = {"day": "DAYS", "week": "WEEKS", "month": "MONTHS", "year": "YEARS"}
WORDS = {wire: word for word, wire in UNITS.items()}
_UNIT = r"(day|week|month|year)s?"
_AMOUNT = re.compile(rf"(\d+)\s*{_UNIT}")  # "12 months", "1 year", "30days"
_ORDINAL = re.compile(rf"{_UNIT}\s*(\d+)")  # "month 2": the second month, 1 month in
_START = {"", "start", "contract start", "the contract start", "at the start", "at contract start",
          "at the contract start", "immediately", "0"}  # fmt: skip
_FILLER = ("starting in", "starting", "starts in", "starts", "from", "after", "for", "in")
MAX_VALUE = 1200  # 100 years of months: beyond any contract


def _lower(text: str) -> str:
    text = " ".join((text or "").lower().replace(",", " ").split())
    for word in _FILLER:
        if text.startswith(word + " "):
            return text[len(word) + 1 :]
    return text


def parse_duration(text: str) -> dict[str, Any]:
    """'12 months' / '1 year' / '12' (months) -> {"unit": "MONTHS", "value": 12}."""
    raw = _lower(text)
    if raw.isdigit():
        raw += " months"
    match = _AMOUNT.fullmatch(raw)
    if match is None:
        raise forms.ValidationError('Write a length such as "12 months", "1 year" or "90 days".')
    value = int(match[1])
    if not 1 <= value <= MAX_VALUE:
        raise forms.ValidationError(f"Between 1 and {MAX_VALUE}.")
    return {"unit": UNITS[match[2]], "value": value}


def parse_start(text: str) -> dict[str, Any]:
    """When an item starts, from the contract start: 'contract start' -> 0 months, 'month 2'
    -> 1 month (the second month), 'after 6 months' / '6 months' -> 6 months, '30 days' -> 30."""
    raw = _lower(text)
    if raw in _START:
        return {"unit": "MONTHS", "value": 0}
    if ordinal := _ORDINAL.fullmatch(raw):
        number = int(ordinal[2])
        if not 1 <= number <= MAX_VALUE:
            raise forms.ValidationError(f"{ordinal[1].title()} 1 is the contract start.")
        return {"unit": UNITS[ordinal[1]], "value": number - 1}
    if amount := _AMOUNT.fullmatch(raw):
        if int(amount[1]) > MAX_VALUE:
            raise forms.ValidationError(f"At most {MAX_VALUE}.")
        return {"unit": UNITS[amount[2]], "value": int(amount[1])}
    raise forms.ValidationError(
        'Write when it starts: "contract start", "month 2", or "after 6 months".'
    )


def duration_words(offset: dict[str, Any] | None) -> str:
    """{"unit": "MONTHS", "value": 12} -> '12 months'; {"unit": "YEARS", "value": 1} -> '1 year'."""
    if not offset:
        return ""
    value = int(offset.get("value") or 0)
    word = WORDS.get(str(offset.get("unit")), str(offset.get("unit", "")).lower())
    return f"{value} {word}{'' if value == 1 else 's'}"


def start_words(offset: dict[str, Any] | None) -> str:
    """'at the contract start', 'from month 2', '30 days after the start'."""
    value = int((offset or {}).get("value") or 0)
    if value == 0:
        return "at the contract start"
    unit = str((offset or {}).get("unit"))
    if unit in ("MONTHS", "YEARS"):
        return f"from {WORDS[unit]} {value + 1}"
    return f"{duration_words(offset)} after the start"


def start_text(offset: dict[str, Any] | None) -> str:
    """What the start field shows for a stored offset (parse_start reads it back)."""
    value = int((offset or {}).get("value") or 0)
    if value == 0:
        return "contract start"
    unit = str((offset or {}).get("unit"))
    if unit in ("MONTHS", "YEARS"):
        return f"{WORDS[unit]} {value + 1}"
    return f"after {duration_words(offset)}"


class DurationField(forms.CharField):
    """A length typed as words ("12 months"), cleaned to {unit, value}; None when empty."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "e.g. 12 months"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        text = super().to_python(value)
        return parse_duration(text) if text else None

    def prepare_value(self, value: Any) -> Any:
        return duration_words(value) if isinstance(value, dict) else value


class StartField(forms.CharField):
    """When an item starts, typed as words ("month 2"), cleaned to an offset {unit, value}."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "contract start"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dict[str, Any] | None:
        """None when left empty: the item starts with the contract."""
        if isinstance(value, dict):
            return value
        text = super().to_python(value)
        return parse_start(text) if text else None

    def prepare_value(self, value: Any) -> Any:
        return start_text(value) if isinstance(value, dict) else value
