"""The package builder's state between clicks, with no script and nothing kept on the server:
one form holds the package's own fields, the items added so far (a hidden field with their
/v1/packages/create items, amounts in the stored unit) and at most one open item form. Its
buttons are named `builder_action`: "open:commit" shows the commit form, "add" checks the
open form and adds its item, "remove:commits:1" takes one out, "cancel" closes the form; the
plain submit creates the package through pricing.packages, as the API does."""

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from billing_console.api import ApplicationError
from billing_console.forms import own_ids
from billing_console.lib.money_text import unit_label
from billing_console.wire import Reader
from contracts.console.form_rows import ROW_ACTION
from contracts.console.package_item_forms import (
    PackageChargeForm,
    PackageCommitForm,
    PackageOverrideForm,
    PackageRecurringForm,
)
from pricing.console.package_forms import PackageHeadForm
from pricing.console.view_helpers import add_service_error
from pricing.models import CreditType, Product, RateCard
from pricing.package_terms import package_terms_clean
from pricing.products import credit_type_get_default

ACTION = "builder_action"
# The builder's item lists, in the order the page shows them.
ITEM_KEYS = ("commits", "credits", "recurring_commits", "recurring_credits", "overrides",
             "scheduled_charges")  # fmt: skip
KINDS = {
    "commit": "Commit or credit",
    "recurring": "Recurring commit or credit",
    "override": "Discount or price override",
    "charge": "Scheduled charge",
}
ITEM_LABELS = {"commits": "Commit", "credits": "Credit", "recurring_commits": "Recurring commit",
               "recurring_credits": "Recurring credit", "overrides": "Override",
               "scheduled_charges": "Scheduled charge"}  # fmt: skip
# Service error fields ("field: why") -> the head form's field that shows the error.
ERROR_FIELDS = {"rate_card_id": "rate_card", "rate_card_alias": "rate_card",
                "usage_statement_schedule": "frequency"}  # fmt: skip
UNIT_CHANGED = (
    "The terms below are in {was}: choose a rate card in {was}, or remove them and add them again."
)


def _products(*types: str, exclude: bool = False) -> Any:
    qs = Product.objects.filter(archived_at__isnull=True).order_by("name")
    return qs.exclude(type__in=types) if exclude else qs.filter(type__in=types)


def item_form(kind: str, unit: CreditType, data: Any = None) -> forms.Form:
    fixed = _products("FIXED", "PRO_SERVICE")
    build = {
        "commit": lambda: PackageCommitForm(data, products=fixed, credit_type=unit),
        "override": lambda: PackageOverrideForm(
            data, products=_products("FIXED", "PRO_SERVICE", exclude=True), credit_type=unit
        ),
        "charge": lambda: PackageChargeForm(data, products=fixed, credit_type=unit),
        "recurring": lambda: PackageRecurringForm(data, products=fixed, credit_type=unit),
    }[kind]
    return own_ids(kind, lambda *a, **k: build())()


def _draft(raw: str) -> dict[str, list[dict[str, Any]]]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    return {k: [i for i in value.get(k) or [] if isinstance(i, dict)] for k in ITEM_KEYS}


@dataclass
class Builder:
    head: PackageHeadForm
    draft: dict[str, list[dict[str, Any]]]
    unit: CreditType  # the currency the items' amounts are in
    open: str = ""  # the item form shown: a KINDS key, or ""
    item: forms.Form | None = None
    errors: list[str] = field(default_factory=list)
    posted: Any = field(default_factory=dict)  # the POST data (empty on a first GET)

    @classmethod
    def blank(cls) -> "Builder":
        return cls(PackageHeadForm(), _draft(""), credit_type_get_default())

    @classmethod
    def from_post(cls, data: QueryDict) -> "Builder":
        """The builder as posted: the head unchecked (shown as typed), the open form bound."""
        head = PackageHeadForm(data)
        initial = {name: head[name].value() for name in head.fields}
        builder = cls(
            PackageHeadForm(initial=initial),
            _draft(data.get("draft", "")),
            _posted_unit(data, head),
            open=data.get("open", "") if data.get("open", "") in KINDS else "",
        )
        builder.posted = data
        if builder.open:
            builder.item = item_form(builder.open, builder.unit, data)
        return builder

    # --- actions -------------------------------------------------------------------------------

    def act(self, action: str) -> bool:
        """Apply a button's action; False for "create" (the caller creates the package)."""
        verb, _, rest = action.partition(":")
        if verb == "open" and rest in KINDS:
            self.open, self.item = rest, item_form(rest, self.unit)
        elif verb == "cancel":
            self.open, self.item = "", None
        elif verb == "remove":
            key, _, index = rest.partition(":")
            if key in self.draft and index.isdigit() and int(index) < len(self.draft[key]):
                del self.draft[key][int(index)]
        elif verb == "add":
            self.add_item()
        elif self.posted.get(ROW_ACTION):
            pass  # a row of the open commit form was added or removed: it is shown again
        else:
            return False
        return True

    def add_item(self) -> bool:
        """Check the open form and its item (as pricing.packages would), then add it."""
        form = self.item
        if form is None or not form.is_valid():
            return False
        if self.unit_conflict():
            return False
        if isinstance(form, PackageRecurringForm):
            key, item = form.to_wire(credit_type_id=str(self.unit.public_id))
        else:
            key, item = form.to_wire()
        try:
            package_terms_clean(Reader({key: [item]}), None)
        except ApplicationError as err:
            form.add_error(None, _item_message(err.message))
            return False
        self.draft[key].append(item)
        self.open, self.item = "", None
        return True

    def unit_conflict(self) -> bool:
        """Whether items were priced in another currency than the rate card now chosen."""
        card = self.card()
        if card is None or not self.has_items():
            return False
        was = self.posted.get("draft_unit", "")
        if was and was != str(card.fiat_credit_type.public_id):
            was_unit = CreditType.objects.filter(public_id=was).first()
            self.errors.append(UNIT_CHANGED.format(was=unit_label(was_unit) or "another unit"))
            return True
        return False

    def card(self) -> RateCard | None:
        value = self.head["rate_card"].value()
        return RateCard.objects.filter(public_id=value).first() if _uuid(value) else None

    @property
    def open_label(self) -> str:
        return KINDS.get(self.open, "")

    def has_items(self) -> bool:
        return any(self.draft.values())

    # --- create --------------------------------------------------------------------------------

    def checked_head(self) -> PackageHeadForm | None:
        """The head form, checked (errors shown); None when it does not pass."""
        head = PackageHeadForm(self.posted)
        self.head = head
        if self.open:
            self.errors.append(
                f"Add the open {KINDS[self.open].lower()} to the package, or cancel it, first."
            )
        if not head.is_valid() or self.open or self.unit_conflict():
            return None
        return head

    def body(self, head: PackageHeadForm) -> dict[str, Any]:
        """The /v1/packages/create body: the head's, then the items added here after any the
        JSON box gives for the same list."""
        body = head.body()
        for key, items in self.draft.items():
            if items:
                body[key] = [*(body.get(key) or []), *items]
        return body

    def service_error(self, head: PackageHeadForm, err: ApplicationError) -> None:
        """pricing.packages' word on the body: beside the item it names, else the field."""
        match = re.match(r"(\w+)\[(\d+)\]", err.message)
        key = match[1] if match else ""
        if key in self.draft:
            from_json = len(head.cleaned_data["terms"].get(key) or [])
            index = int(match[2]) - from_json  # type: ignore[index]
            if 0 <= index < len(self.draft[key]):
                item = self.draft[key][index]
                label = item.get("name") or f"{ITEM_LABELS[key]} {index + 1}"
                self.errors.append(f"{label}: {_item_message(err.message)}")
                return
        add_service_error(head, err, ERROR_FIELDS, default="terms")

    def draft_unit(self) -> str:
        """The credit type the items' amounts are in: the one they were added in."""
        was = self.posted.get("draft_unit", "")
        return was if was and self.has_items() else str(self.unit.public_id)

    def draft_json(self) -> str:
        return json.dumps({k: v for k, v in self.draft.items() if v})


def _uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _posted_unit(data: QueryDict, head: PackageHeadForm) -> CreditType:
    """The chosen rate card's currency (the default, USD, before one is chosen)."""
    value = data.get(head.add_prefix("rate_card"), "")
    card = RateCard.objects.filter(public_id=value).first() if _uuid(value) else None
    return card.fiat_credit_type if card else credit_type_get_default()


def _item_message(message: str) -> str:
    """'commits[0].access_schedule.schedule_items[0].amount: why' -> 'Amount: why'."""
    path, sep, why = message.partition(": ")
    if not sep:
        return message
    last = path.rsplit(".", 1)[-1].split("[")[0]
    return f"{last.replace('_', ' ').capitalize()}: {why}"
