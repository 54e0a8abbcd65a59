"""The contract page's "Add a commit or credit" form: several access schedule items, several
invoice schedule items (prepaid), the products, tags and specifiers it pays for, rollover and
do_not_invoice. It builds the add_commits / add_credits wire dict the API takes, so the service
(contracts/terms/create.py) validates it and stores it as it would the API's.

Amounts are typed in the contract's credit type's major unit ("$1,200.50") and sent in its
stored unit (USD cents), the currency's own decimals at most. Rows come and go by submit buttons
(form_rows.py): no script needed. The invoice schedule shows for a prepaid commit only (CSS
`:has()`); for another kind whatever it holds is not sent."""

import re
from decimal import Decimal

from django import forms

from billing_console.forms import MoneyField, within_input_window
from contracts.console.form_rows import (
    ROW_ACTION,
    RowSet,
    apply_row_action,
    filled,
    group_values,
    row_key,
    rows_posted,
    word_list,
)
from contracts.console.forms import midnight_utc, money_in
from contracts.console.forms_overrides import PercentOffField
from pricing.models import Product

REQUIRED_IN_ROW = "Required for this item."
HEAD = ("kind", "name", "product", "priority")
SCOPE = ("applicable_products", "applicable_tags")
TAIL = ("do_not_invoice", "rollover")


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[within_input_window],
    )


def _usage_products() -> list[tuple[str, str]]:
    """The products a commit can pay for (usage, composite, subscription), read when shown."""
    products = Product.objects.filter(archived_at__isnull=True).exclude(
        type__in=("FIXED", "PRO_SERVICE")
    )
    return [(str(p.public_id), p.name) for p in products]


class GroupValuesField(forms.CharField):
    """'region=us-east-1, tier=batch' typed, a dict cleaned."""

    def to_python(self, value):
        return group_values(super().to_python(value))


ACCESS = RowSet("access", {
    "amount": lambda: MoneyField(required=False),
    "starting_at": lambda: _date("Starts"),
    "ending_before": lambda: _date("Ends before"),  # exclusive: the fieldset says so
})  # fmt: skip
INVOICE = RowSet("invoice", {
    "invoice_amount": lambda: MoneyField(required=False),
    "invoice_date": lambda: _date("Invoice date"),  # empty: the first start date
})  # fmt: skip
SPECIFIERS = RowSet("specifier", {
    "spec_product": lambda: forms.ChoiceField(required=False, label="Product"),
    "spec_tags": lambda: forms.CharField(required=False, label="Product tags (all of)",
                                         help_text="Comma-separated."),
    "spec_pricing": lambda: GroupValuesField(required=False, label="Pricing group values",
                                             help_text="e.g. region=us-east-1"),
    "spec_presentation": lambda: GroupValuesField(required=False, label="Presentation group values",
                                                  help_text="e.g. project=alpha"),
}, max_rows=8)  # fmt: skip
# The wire's names in a specifier and in a schedule item -> the row's field.
ROW_WIRE = {
    "access_schedule": (ACCESS, {"amount": "amount", "starting_at": "starting_at",
                                 "ending_before": "ending_before"}),
    "invoice_schedule": (INVOICE, {"amount": "invoice_amount", "unit_price": "invoice_amount",
                                   "quantity": "invoice_amount", "timestamp": "invoice_date"}),
    "specifiers": (SPECIFIERS, {"product_id": "spec_product", "product_tags": "spec_tags",
                                "pricing_group_values": "spec_pricing",
                                "presentation_group_values": "spec_presentation"}),
}  # fmt: skip
ROW_PATH = re.compile(r"(access_schedule|invoice_schedule|specifiers)\b.*?\[(\d+)\]\.(\w+)")


# What the commit form's template (contracts/partials/commit_fields.html) says around its rows
# and buttons; the package builder's form words them for offsets (package_item_forms.py).
TEXTS = {
    # the form's first, hidden submit button: Enter in a field adds the commit, not a row
    "default_button": "Add",
    "access_legend": "Access schedule",
    "access_help": "When the balance can be used: one item per period, e.g. each half of the "
    "year. Each item ends before its end date (exclusive).",
    "access_add": "+ Another access item",
    "invoice_help": "What is billed, and when. No rows: the access amounts' total, on the first "
    "start date; a row without a date: billed on the first start date.",
    "invoice_add": "+ Another invoice item",
    "specifier_summary": "",  # set: the specifiers fold away under it (open when several)
    "specifier_help": "Specifiers: each pays for usage matching all it names (a product, all of "
    "its tags, group values).",
}


class CommitForm(forms.Form):
    template_name = "contracts/partials/commit_fields.html"
    texts = TEXTS
    rowsets = (ACCESS, INVOICE, SPECIFIERS)
    # Service error paths that belong to a form field (row paths: field_for_path).
    wire_fields = {"type": "kind", "access_schedule": "amount", "schedule_items": "amount",
                   "invoice_schedule": "invoice_amount", "do_not_invoice": "do_not_invoice",
                   "applicable_product_ids": "applicable_products", "specifiers": "spec_product",
                   "applicable_product_tags": "applicable_tags",
                   "rollover_fraction": "rollover"}  # fmt: skip
    kind = forms.ChoiceField(
        choices=[
            ("PREPAID", "Prepaid commit"),
            ("POSTPAID", "Postpaid commit"),
            ("CREDIT", "Credit (free)"),
        ]
    )
    name = forms.CharField(max_length=200)
    product = forms.ChoiceField(
        help_text="The product the commit or credit is sold as (a FIXED product)."
    )
    priority = forms.DecimalField(
        required=False, max_digits=10, decimal_places=2, help_text="Lower is drawn first."
    )
    applicable_products = forms.MultipleChoiceField(
        required=False,
        label="Pays for products",
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked, no tags and no specifiers: any usage.",
    )
    applicable_tags = forms.CharField(
        required=False,
        label="Pays for product tags (any of)",
        help_text="Comma-separated, e.g. tokens, storage.",
    )
    rollover = PercentOffField(
        required=False, min_value=0, max_value=100, max_digits=7, decimal_places=4,
        label="Rollover (%)",
        help_text="Of what is unused when an access item ends, moved to the next item "
        "(or to the renewal's commit of this product). e.g. 50%.",
    )  # fmt: skip
    do_not_invoice = forms.BooleanField(
        required=False,
        label="Do not invoice",
        help_text="Prepaid only: the balance is usable, but no purchase invoice is issued "
        "(billed outside this system).",
    )

    def __init__(self, *args, products=(), credit_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        self.fields["product"].choices = [(str(p.public_id), p.name) for p in products]
        self.fields["applicable_products"].choices = _usage_products
        counts = {r.name: rows_posted(self.data, r) if self.is_bound else 1 for r in self.rowsets}
        self._add_rows(counts)
        action = self.data.get(ROW_ACTION, "") if self.is_bound else ""
        self.rows_changed = bool(action)
        if action:  # a row added or removed: the form again, as typed, unchecked and unsent
            values = {
                name: field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                for name, field in self.fields.items()
            }
            apply_row_action(action, values, counts, self.rowsets)
            self._add_rows(counts)
            self.data, self.is_bound = type(self.data)(), False
            self.initial = {**self.initial, **values}
        self.row_counts = counts
        money_in(self, credit_type, {"amount": "Amount", "invoice_amount": "Invoice amount"})
        for index in range(1, counts["access"]):
            self.fields[row_key("amount", index)].label = self.fields["amount"].label
        for index in range(1, counts["invoice"]):
            label = self.fields["invoice_amount"].label
            self.fields[row_key("invoice_amount", index)].label = label

    def _add_rows(self, counts: dict[str, int]) -> None:
        """Each row set's fields for `counts` rows (those beyond them dropped)."""
        for rows in self.rowsets:
            for index in range(rows.max_rows):
                for name, build in rows.fields.items():
                    key = row_key(name, index)
                    if index >= counts[rows.name]:
                        self.fields.pop(key, None)
                    elif key not in self.fields:
                        self.fields[key] = build()
        products = [("", "Any product"), *_usage_products()]
        for index in range(counts["specifier"]):
            self.fields[row_key("spec_product", index)].choices = products
        for name in ACCESS.fields:  # the first access item is the commit's: required
            self.fields[name].required = True

    # --- shown by contracts/partials/commit_fields.html --------------------------------------

    def _bound(self, names) -> list:
        return [self[name] for name in names if name in self.fields]

    def head_fields(self) -> list:
        """kind, name, product, priority, then any field a subclass adds."""
        known = set(HEAD) | set(SCOPE) | set(TAIL) | set(self._row_keys())
        return self._bound(HEAD) + [f for f in self.visible_fields() if f.name not in known]

    def scope_fields(self) -> list:
        return self._bound(SCOPE)

    def tail_fields(self) -> list:
        return self._bound(TAIL)

    def rows(self) -> dict[str, list[dict]]:
        """Per row set: each row's number (from 1), remove button value and bound fields."""
        return {
            rows.name: [
                {
                    "number": index + 1,
                    "remove": f"remove:{rows.name}:{index}",
                    "fields": self._bound(row_key(name, index) for name in rows.fields),
                }
                for index in range(self.row_counts[rows.name])
            ]
            for rows in self.rowsets
        }

    def _row_keys(self):
        for rows in self.rowsets:
            for index in range(self.row_counts[rows.name]):
                yield from (row_key(name, index) for name in rows.fields)

    # --- checked -----------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        self._clean_access(data)
        if data.get("kind") != "PREPAID":  # hidden on the page: whatever it holds is not sent
            for index in range(self.row_counts["invoice"]):
                for name in INVOICE.fields:
                    self.errors.pop(row_key(name, index), None)
                    data.pop(row_key(name, index), None)
        for index in range(self.row_counts["invoice"]):
            if filled(data, INVOICE, index) and data.get(row_key("invoice_amount", index)) is None:
                self._row_error(row_key("invoice_amount", index), "Give the amount billed.")
        if data.get("do_not_invoice") and data.get("kind") != "PREPAID":
            self.add_error("do_not_invoice", "Only a prepaid commit is invoiced.")
        return data

    def _clean_access(self, data) -> None:
        for index in range(1, self.row_counts["access"]):
            if not filled(data, ACCESS, index):
                continue
            for name in ACCESS.fields:
                if data.get(row_key(name, index)) is None:
                    self._row_error(row_key(name, index), REQUIRED_IN_ROW)
        for index in range(self.row_counts["access"]):
            start = data.get(row_key("starting_at", index))
            end = data.get(row_key("ending_before", index))
            if start and end and end <= start:
                self._row_error(row_key("ending_before", index), "Must be after the start date.")

    def _row_error(self, key: str, message: str) -> None:
        if key not in self.errors:  # its own error (not a date, say) says more
            self.add_error(key, message)

    def field_for_path(self, path: str) -> str | None:
        """The row field a service error's path names ('...invoice_schedule.schedule_items[1]
        .timestamp' -> 'invoice_date_1'), the wire's index mapped to the row it came from."""
        match = ROW_PATH.search(path)
        if match is None:
            return None
        rows, names = ROW_WIRE[match[1]]
        sent = getattr(self, "sent_rows", {}).get(rows.name, [])
        index = int(match[2])
        name = names.get(match[3])
        if name is None or index >= len(sent):
            return None
        key = row_key(name, sent[index])
        return key if key in self.fields else None

    # --- the wire ----------------------------------------------------------------------------

    def _filled_rows(self, rows: RowSet) -> list[int]:
        data = self.cleaned_data
        return [i for i in range(self.row_counts[rows.name]) if filled(data, rows, i)]

    def terms_wire(self, access: list[dict]) -> dict:
        """What a contract's and a package's commit share: product, name, access schedule,
        priority, type, what it pays for and rollover (the package builder reuses it)."""
        data = self.cleaned_data
        wire: dict = {
            "product_id": data["product"],
            "name": data["name"],
            "access_schedule": {"schedule_items": access},
        }
        if data.get("priority") is not None:
            wire["priority"] = str(data["priority"])
        if data["kind"] != "CREDIT":
            wire["type"] = data["kind"]
        wire.update(self._scope_wire())
        if data.get("rollover") is not None:
            fraction = (data["rollover"] / Decimal(100)).normalize()
            wire["rollover_fraction"] = f"{fraction:f}"  # 50% -> "0.5"
        return wire

    def to_wire(self) -> dict:
        data = self.cleaned_data
        self.sent_rows = {rows.name: self._filled_rows(rows) for rows in self.rowsets}
        access = [
            {
                "amount": str(data[row_key("amount", i)]),  # stored unit (USD cents)
                "starting_at": midnight_utc(data[row_key("starting_at", i)]).isoformat(),
                "ending_before": midnight_utc(data[row_key("ending_before", i)]).isoformat(),
            }
            for i in self.sent_rows["access"]
        ]
        wire = self.terms_wire(access)
        if data["kind"] == "PREPAID":
            wire["invoice_schedule"] = {"schedule_items": self._invoice_items(access)}
            if data.get("do_not_invoice"):
                wire["invoice_schedule"]["do_not_invoice"] = True
        return wire

    def _invoice_items(self, access: list[dict]) -> list[dict]:
        """The invoice rows typed; none: the access amounts' total on the first start date."""
        data, first = self.cleaned_data, min(item["starting_at"] for item in access)
        items = []
        for i in self.sent_rows["invoice"]:
            day = data.get(row_key("invoice_date", i))
            items.append({
                "amount": str(data[row_key("invoice_amount", i)]),  # stored unit (USD cents)
                "timestamp": midnight_utc(day).isoformat() if day else first,
            })  # fmt: skip
        if not items:
            self.sent_rows["invoice"] = [0]
            total = sum((Decimal(item["amount"]) for item in access), Decimal(0))
            items = [{"amount": str(total), "timestamp": first}]
        return items

    def _scope_wire(self) -> dict:
        """applicable_product_ids, applicable_product_tags and specifiers, those given."""
        data, wire = self.cleaned_data, {}
        if data.get("applicable_products"):
            wire["applicable_product_ids"] = list(data["applicable_products"])
        if tags := word_list(data.get("applicable_tags", "")):
            wire["applicable_product_tags"] = tags
        specifiers = []
        for i in self.sent_rows["specifier"]:
            spec: dict = {}
            if product := data.get(row_key("spec_product", i)):
                spec["product_id"] = product
            if tags := word_list(data.get(row_key("spec_tags", i), "")):
                spec["product_tags"] = tags
            for wire_name, name in (("pricing_group_values", "spec_pricing"),
                                    ("presentation_group_values", "spec_presentation")):  # fmt: skip
                if values := data.get(row_key(name, i)):
                    spec[wire_name] = values
            specifiers.append(spec)
        if specifiers:
            wire["specifiers"] = specifiers
        return wire
