"""The package builder's item forms: the contract page's commit, override, charge and recurring
forms (contracts/console), with the dates swapped for offsets from the contract start ("month
2") and lengths ("12 months"), as a package holds them. Each form's `to_wire()` gives the terms
list it adds to and one item of a /v1/packages/create body, amounts in the stored unit (USD
cents), so pricing.packages validates and stores it exactly as it would the API's."""

from datetime import date
from typing import Any

from django import forms

from billing_console.forms import MoneyField
from contracts.console.form_rows import RowSet, filled, row_key
from contracts.console.forms import money_in
from contracts.console.forms_commits import REQUIRED_IN_ROW, SPECIFIERS, TEXTS, CommitForm
from contracts.console.forms_items import RecurringForm
from contracts.console.forms_overrides import OverrideForm
from contracts.console.forms_terms import ChargeForm
from pricing.console.package_offsets import DurationField, StartField

CONTRACT_START = {"unit": "MONTHS", "value": 0}
TO_SMALLER = {"YEARS": ("MONTHS", 12), "WEEKS": ("DAYS", 7)}
START_HELP = 'From the contract start, e.g. "contract start", "month 2", "after 30 days".'
LASTS_HELP = 'e.g. "12 months" or "1 year".'


def _start(label: str = "Starts") -> StartField:
    return StartField(label=label, help_text=START_HELP)


def _months(offset: dict[str, Any]) -> int | None:
    """An offset in whole months (years count 12), None for days and weeks."""
    if offset["unit"] == "MONTHS":
        return int(offset["value"])
    return int(offset["value"]) * 12 if offset["unit"] == "YEARS" else None


def _end_of(start: dict[str, Any], length: dict[str, Any]) -> dict[str, Any] | None:
    """start + length as one offset (None when months meet days)."""
    if start["value"] == 0:
        return dict(length)
    units = []
    for offset in (start, length):
        unit, factor = TO_SMALLER.get(offset["unit"], (offset["unit"], 1))
        units.append((unit, int(offset["value"]) * factor))
    if units[0][0] != units[1][0]:
        return None
    return {"unit": units[0][0], "value": units[0][1] + units[1][1]}


ACCESS = RowSet("access", {
    "amount": lambda: MoneyField(required=False),
    "starts": lambda: StartField(label="Starts", help_text=START_HELP),
    "lasts": lambda: DurationField(required=False, label="Usable for", help_text=LASTS_HELP),
})  # fmt: skip
INVOICE = RowSet("invoice", {
    "invoice_amount": lambda: MoneyField(required=False),
    "invoice_when": lambda: StartField(
        label="Billed",
        help_text="Empty: when the access starts.",
        widget=forms.TextInput(attrs={"placeholder": "when the access starts"}),
    ),
})  # fmt: skip


class PackageCommitForm(CommitForm):
    """A commit or credit of a package: access items as amount + start + length."""

    texts = {
        **TEXTS,
        "default_button": "",  # none: the item sits inside the package form (package_create.html)
        "access_legend": "When it can be used",
        "access_help": "One item per period, counted from the contract start: e.g. $12,000 from "
        "the contract start for 12 months.",
        "access_add": "+ Another period",
        "invoice_help": "What is billed, and when. No rows: the whole amount, when the first "
        "period starts.",
        "invoice_add": "+ Another invoice",
        "specifier_summary": "Narrower: by product, tags or group values",
        "specifier_help": "Each specifier pays for usage matching all it names (a product, all "
        "of its tags, group values).",
    }
    rowsets = (ACCESS, INVOICE, SPECIFIERS)
    terms_key = "commits"

    def _add_rows(self, counts: dict[str, int]) -> None:
        for rows in self.rowsets:
            for index in range(rows.max_rows):
                for name, build in rows.fields.items():
                    key = row_key(name, index)
                    if index >= counts[rows.name]:
                        self.fields.pop(key, None)
                    elif key not in self.fields:
                        self.fields[key] = build()
        products = [("", "Any product"), *self.fields["applicable_products"].choices]
        for index in range(counts["specifier"]):
            self.fields[row_key("spec_product", index)].choices = products
        for name in ("amount", "lasts"):  # the first access item is the commit's
            self.fields[name].required = True

    def _clean_access(self, data: dict[str, Any]) -> None:
        for index in range(1, self.row_counts["access"]):
            if filled(data, ACCESS, index):
                for name in ("amount", "lasts"):
                    if data.get(row_key(name, index)) is None:
                        self._row_error(row_key(name, index), REQUIRED_IN_ROW)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for index in range(self.row_counts["invoice"]):
            key = row_key("invoice_amount", index)
            if data.get("kind") != "PREPAID":  # hidden on the page: not sent
                self.errors.pop(row_key("invoice_when", index), None)
                data.pop(row_key("invoice_when", index), None)
            elif filled(data, INVOICE, index) and data.get(key) is None:
                self._row_error(key, "Give the amount billed.")
        length = data.get("lasts")
        if data.get("kind") == "POSTPAID" and length:
            if _end_of(data.get("starts") or CONTRACT_START, length) is None:
                self.add_error("lasts", "Give a postpaid commit's start and length in one unit.")
        return data

    def to_wire(self) -> tuple[str, dict[str, Any]]:  # type: ignore[override]
        data = self.cleaned_data
        self.sent_rows = {rows.name: self._filled_rows(rows) for rows in self.rowsets}
        access = [
            {
                "amount": str(data[row_key("amount", i)]),  # stored unit (USD cents)
                "starting_at_offset": data.get(row_key("starts", i)) or dict(CONTRACT_START),
                "duration": data[row_key("lasts", i)],
            }
            for i in self.sent_rows["access"]
        ]
        wire: dict[str, Any] = self.terms_wire(access)
        if data["kind"] == "PREPAID":
            wire["invoice_schedule"] = {"schedule_items": self._package_invoice(access)}
            if data.get("do_not_invoice"):
                wire["invoice_schedule"]["do_not_invoice"] = True
        elif data["kind"] == "POSTPAID":
            wire["invoice_schedule"] = {"schedule_items": self._postpaid_invoice(access)}
        return ("credits" if data["kind"] == "CREDIT" else "commits"), wire

    def _package_invoice(self, access: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The invoice rows typed; none: the access amounts' total when the first starts."""
        data, first = self.cleaned_data, access[0]["starting_at_offset"]
        items = [
            {
                "date_offset": data.get(row_key("invoice_when", i)) or dict(first),
                "quantity": "1",
                "unit_price": str(data[row_key("invoice_amount", i)]),  # stored unit
            }
            for i in self.sent_rows["invoice"]
        ]
        if not items:
            total = sum(int(item["amount"]) for item in access)
            items = [{"date_offset": dict(first), "quantity": "1", "unit_price": str(total)}]
        return items

    def _postpaid_invoice(self, access: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A postpaid commit's true-up: its amount, billed when its access ends."""
        item = access[0]
        end = _end_of(item["starting_at_offset"], item["duration"])  # checked in clean()
        return [{"date_offset": end, "quantity": "1", "unit_price": item["amount"]}]


class PackageOverrideForm(OverrideForm):
    """A discount, multiplier or new price for some products, from a month of the contract."""

    field_order = ["type", "percent_off", "multiplier", "price", "product", "tags",
                   "group_values", "starts", "lasts", "priority"]  # fmt: skip
    starts = _start()
    lasts = DurationField(required=False, label="For", help_text="Empty: until the contract ends.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starting_at", "ending_before"):
            del self.fields[name]

    def to_wire(self) -> tuple[str, dict[str, Any]]:  # type: ignore[override]
        data = self.cleaned_data
        data["starting_at"], data["ending_before"] = date(2000, 1, 1), None  # replaced below
        wire = super().to_wire()
        del wire["starting_at"]
        wire["starting_at_offset"] = data.get("starts") or dict(CONTRACT_START)
        if data.get("lasts"):
            wire["duration"] = data["lasts"]
        return "overrides", wire


class PackageChargeForm(ChargeForm):
    """A one-off or monthly fee, from a month of the contract."""

    wire_fields = {"schedule": "starts", "date_offset": "starts"}
    field_order = ["product", "name", "amount", "starts", "months"]
    starts = _start("First charged")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["first_date"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start = data.get("starts")
        if start and (data.get("months") or 1) > 1 and _months(start) is None:
            self.add_error("starts", 'A monthly charge starts on a month: e.g. "month 2".')
        return data

    def to_wire(self) -> tuple[str, dict[str, Any]]:  # type: ignore[override]
        data = self.cleaned_data
        start, months = data.get("starts") or dict(CONTRACT_START), data["months"]
        first = _months(start)
        offsets = (
            [{"unit": "MONTHS", "value": first + m} for m in range(months)]
            if first is not None
            else [start]
        )
        items = [
            {"date_offset": offset, "quantity": "1", "unit_price": str(data["amount"])}
            for offset in offsets
        ]
        wire: dict[str, Any] = {
            "product_id": data["product"],
            "schedule": {"schedule_items": items},
        }
        if data.get("name"):
            wire["name"] = data["name"]
        return "scheduled_charges", wire


class PackageRecurringForm(RecurringForm):
    """A recurring commit (invoiced each period) or credit (free), from a month of the contract."""

    field_order = ["kind", "name", "product", "priority", "frequency", "access_amount",
                   "invoice_amount", "periods", "proration", "starts", "lasts"]  # fmt: skip
    starts = _start()
    lasts = DurationField(required=False, label="For", help_text="Empty: until the contract ends.")

    def __init__(self, *args: Any, credit_type: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, credit_type=credit_type, **kwargs)
        for name in ("starting_at", "ending_before", "subscription", "allocation"):
            del self.fields[name]
        money_in(self, credit_type, {"access_amount": "Amount per period",
                                     "invoice_amount": "Invoiced per period"})  # fmt: skip

    def to_wire(self, *, credit_type_id: str) -> tuple[str, dict[str, Any]]:  # type: ignore[override]
        data = self.cleaned_data
        data["starting_at"] = data["ending_before"] = data["subscription"] = None  # offsets below
        [(key, [item])] = super().to_wire(credit_type_id=credit_type_id).items()
        item.pop("starting_at", None)
        item["starting_at_offset"] = data.get("starts") or dict(CONTRACT_START)
        if data.get("lasts"):
            item["duration"] = data["lasts"]
        return key.removeprefix("add_"), item
