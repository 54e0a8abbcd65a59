from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

from billing_console.lib.money_text import MoneyError, major_text, parse_money, unit_of
from billing_console.lib.periods import EARLIEST, LATEST, within_window


class ConsoleFormRenderer(TemplatesSetting):
    """`{{ form }}` renders our markup, with errors beside each field, everywhere (Luke Plant)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def own_ids(name: str, build: Callable[..., forms.Form]) -> Callable[..., forms.Form]:
    """`build`, whose form's element ids start with `name` ("commit-product", not "id_product"):
    for a page with several forms that have a field of one name, so that each label names its
    own input. auto_id changes the ids only, not the names POSTed and read back. A form that
    chose its ids (an auto_id other than Django's default) keeps them."""

    def built(*args: Any, **kwargs: Any) -> forms.Form:
        form = build(*args, **kwargs)
        if form.auto_id == "id_%s":
            form.auto_id = f"{name.replace('_', '-')}-%s"
        return form

    return built


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. 'ingest service'.")
    read_only = forms.BooleanField(
        required=False,
        label="Read-only",
        help_text="GET calls and the list, get, search and preview POSTs only; "
        "any other call answers 403.",
    )


def within_input_window(value: date | datetime) -> None:
    """Validator for console date fields: the window every input instant lies in (README,
    "Input limits"); a date near year 9999 would otherwise overflow as its day's end."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time.min, UTC)
    if not within_window(moment):
        raise ValidationError(
            f"Must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}.", code="out_of_range"
        )


class _WithoutDefault(forms.models.ModelChoiceIterator):
    """The choices but for the credit type the empty choice already stands for."""

    def __iter__(self) -> Any:
        for value, label in super().__iter__():
            instance = getattr(value, "instance", None)
            if instance is None or str(instance.public_id) != str(self.field.default):
                yield value, label


class CreditTypeChoiceField(forms.ModelChoiceField):
    """A credit type by the unit people read amounts in ("USD", "EUR", "GPU hours"), not its
    stored unit's name ("USD (cents)"), each once: with `default` (a public id), the empty
    choice (e.g. "USD (default)") is that credit type, which is then not listed a second time;
    a form that shows the default credit type selects the empty choice."""

    iterator = _WithoutDefault

    def __init__(self, *args: Any, default: Any = None, **kwargs: Any) -> None:
        self.default = default
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return unit_of(obj).label or str(obj)

    def prepare_value(self, value: Any) -> Any:
        prepared = super().prepare_value(value)
        if self.default is not None and str(prepared) == str(self.default):
            return ""
        return prepared


class MoneyField(forms.Field):
    """An amount typed in the credit type's major unit ("$1,200.50", "1200.5", "25 USD"),
    cleaned to the stored unit as a Decimal (120050 USD cents); None when left empty.

    Set `credit_type` (any object with is_fiat/currency_code/name) before the form is cleaned
    or shown; None reads and shows a plain number (e.g. a PERCENTAGE rate's fraction).
    Sub-unit precision: only where `sub_unit=True`, i.e. unit prices (rates, tiers, overrides'
    prices: "$0.0003" a token). Amounts that are billed as they are (commits, charges,
    thresholds, totals) take the currency's own decimals: "12.345" USD is refused, not rounded.
    An initial value is in the stored unit (a Decimal of cents); it is shown in major units."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    # Stored amounts fit AmountField (19 digits, 4 places): under 10**15 units.
    MAX_STORED = Decimal(10) ** 15

    def __init__(
        self,
        *,
        credit_type: Any = None,
        sub_unit: bool = False,
        negative: bool = False,
        **kwargs: Any,
    ) -> None:
        self.credit_type, self.sub_unit, self.negative = credit_type, sub_unit, negative
        super().__init__(**kwargs)

    @property
    def unit_label(self) -> str:
        return unit_of(self.credit_type).label

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            amount = parse_money(
                str(value), self.credit_type, sub_unit=self.sub_unit, negative=self.negative
            )
        except MoneyError as err:
            raise ValidationError(str(err), code="invalid") from None
        if abs(amount) >= self.MAX_STORED:
            raise ValidationError("That amount is too large.", code="max_value")
        return amount

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return major_text(value, self.credit_type)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (Decimal(initial) if initial is not None else None)
        except (ValidationError, ArithmeticError, TypeError):
            return True
