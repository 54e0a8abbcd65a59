"""A rate's tiers as rows a person adds and removes: each row a size and a price, typed as people
write numbers ("2,500", "1,000.50", "$0.02"). The pattern of contracts/console/form_rows.py (which
pricing cannot import: contracts builds on pricing): row 0 under `tier_size` / `tier_price`, row
i under `tier_size_i` / `tier_price_i`; "Add a tier" and "Remove" are submit buttons named
`row_action` ("add:tier", "remove:tier:2"), and a form posted with one comes back with the rows
changed and nothing saved, through htmx or a plain POST alike."""

import re
from decimal import Decimal
from typing import Any

from django import forms

from billing_console.lib.money_text import MoneyError, major_text, parse_money

ROW_ACTION = "row_action"
MAX_TIERS = 12
SIZE, PRICE = "tier_size", "tier_price"
NO_LIMIT_ONLY_LAST = "Only the last tier has no size (it takes the rest)."
PRICE_NEEDED = "Give this tier's price."


def tier_key(name: str, index: int) -> str:
    return name if index == 0 else f"{name}_{index}"


def _size_field() -> forms.CharField:
    return forms.CharField(
        required=False, label="Next units",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "e.g. 2,500; empty: the rest"}),
    )  # fmt: skip


def _price_field() -> forms.CharField:
    return forms.CharField(
        required=False, label="Price per unit",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "e.g. 0.02"}),
    )  # fmt: skip


class TierRowsMixin(forms.Form):
    """Adds tier rows to a rate form. Call `setup_tier_rows(tiers)` at the end of __init__ with
    the stored tiers the form starts from; `clean()` puts the tiers in cleaned_data["tiers"] as
    the service takes them (sizes in units, prices in the credit type's stored unit)."""

    credit_type: Any = None
    tier_count = 2
    rows_changed = False

    def setup_tier_rows(self, tiers: list[dict[str, Any]] | None = None) -> None:
        if self.is_bound:
            count = 1
            for index in range(1, MAX_TIERS):
                if tier_key(SIZE, index) in self.data or tier_key(PRICE, index) in self.data:
                    count = index + 1
        else:
            count = max(len(tiers or []), 2)
            for index, tier in enumerate(tiers or []):
                size = tier.get("size")
                self.initial[tier_key(SIZE, index)] = f"{_number(size)}" if size else ""
                self.initial[tier_key(PRICE, index)] = major_text(tier["price"], self.credit_type)
        self._tier_fields(count)
        action = str(self.data.get(ROW_ACTION, "")) if self.is_bound else ""
        if action.endswith(":tier") or ":tier:" in action:
            values = {name: self.data.get(self.add_prefix(name), "") for name in self.fields}
            values = {k: v for k, v in values.items() if not k.startswith((SIZE, PRICE))}
            rows = [
                (self.data.get(self.add_prefix(tier_key(SIZE, i)), ""),
                 self.data.get(self.add_prefix(tier_key(PRICE, i)), ""))
                for i in range(count)
            ]  # fmt: skip
            verb, _, index = action.partition(":tier")
            if verb == "add" and len(rows) < MAX_TIERS:
                rows.append(("", ""))
            elif verb == "remove" and index.lstrip(":").isdigit() and len(rows) > 1:
                rows.pop(min(int(index.lstrip(":")), len(rows) - 1))
            for i, (size, price) in enumerate(rows):
                values[tier_key(SIZE, i)], values[tier_key(PRICE, i)] = size, price
            self._tier_fields(len(rows))
            self.rows_changed = True
            self.data, self.is_bound = type(self.data)(), False
            self.initial = {**self.initial, **values}
            count = len(rows)
        self.tier_count = count

    def _tier_fields(self, count: int) -> None:
        for index in range(MAX_TIERS):
            for name, build in ((SIZE, _size_field), (PRICE, _price_field)):
                key = tier_key(name, index)
                if index >= count:
                    self.fields.pop(key, None)
                elif key not in self.fields:
                    self.fields[key] = build()

    def tier_rows(self) -> list[dict[str, Any]]:
        """Each row's number (from 1), its Remove button's value and its two bound fields."""
        return [
            {
                "number": index + 1,
                "remove": f"remove:tier:{index}",
                "size": self[tier_key(SIZE, index)],
                "price": self[tier_key(PRICE, index)],
            }
            for index in range(self.tier_count)
        ]

    def clean_tier_rows(self) -> list[dict[str, str]]:
        """The filled rows as wire tiers; errors on the row's own field."""
        typed = []
        for index in range(self.tier_count):
            size = (self.cleaned_data.get(tier_key(SIZE, index)) or "").strip()
            price = (self.cleaned_data.get(tier_key(PRICE, index)) or "").strip()
            if size or price:
                typed.append((index, size, price))
        tiers = []
        for position, (index, size, price) in enumerate(typed):
            tier: dict[str, str] = {}
            if size:
                tier["size"] = self._number(tier_key(SIZE, index), size, None, sub_unit=False)
            elif position < len(typed) - 1:
                self.add_error(tier_key(SIZE, index), NO_LIMIT_ONLY_LAST)
            if not price:
                self.add_error(tier_key(PRICE, index), PRICE_NEEDED)
                continue
            tier["price"] = self._number(tier_key(PRICE, index), price, self.credit_type)
            tiers.append(tier)
        return tiers

    def _number(self, key: str, text: str, credit_type: Any, *, sub_unit: bool = True) -> str:
        try:
            return str(parse_money(text, credit_type, sub_unit=sub_unit, negative=True))
        except MoneyError as err:
            self.add_error(key, str(err))
            return "0"


def _number(value: Any) -> str:
    return f"{Decimal(str(value)).normalize():,f}"


def tier_errors_to_rows(form: TierRowsMixin, message: str) -> bool:
    """Show a service error about tiers ("tiers[1].size: ...") beside the row it names."""
    match = re.match(r"(?:[\w.\[\]]*\.)?tiers\[(\d+)\]\.?(\w*): (.*)", message)
    if not match:
        return False
    index, part, text = int(match[1]), match[2], match[3]
    key = tier_key(SIZE if part == "size" else PRICE, min(index, form.tier_count - 1))
    if key in form.fields:
        form.add_error(key, text)
        return True
    return False
