"""A package's terms for reading: split into sections (commits, credits, charges...), product ids
shown by name, and every amount in its credit type's major unit ("$12,000.00"), as the rest of
the console shows money. The terms are stored as the API takes them (USD amounts in cents)."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing_console.lib.money_text import shown_terms
from pricing.models import CreditType, Package, Product
from pricing.products import credit_type_get_default

# Sections of a package's wire-shaped terms, in the order the package page shows them.
TERM_SECTIONS = (
    ("commits", "Commits"),
    ("recurring_commits", "Recurring commits"),
    ("credits", "Credits"),
    ("recurring_credits", "Recurring credits"),
    ("scheduled_charges", "Scheduled charges"),
    ("subscriptions", "Subscriptions"),
    ("overrides", "Overrides"),
    ("spend_trackers", "Spend trackers"),
    ("usage_statement_schedule", "Usage statement schedule"),
)


@dataclass(frozen=True)
class TermSection:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]


def _uuid(value: str) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return value


def _reader(package: Package) -> Callable[[Any], Any]:
    """Formats the money inside a piece of the package's terms: in the rate card's currency,
    or in the credit type a dict names by `credit_type_id` (a custom-unit commit)."""
    card = package.rate_card
    default = card.fiat_credit_type if card is not None else credit_type_get_default()
    ids: set[str] = set()
    _walk_ids(package.terms or {}, ("credit_type_id",), ids)
    valid = [u for u in (_uuid(i) for i in ids) if not isinstance(u, str)]
    types = {str(ct.public_id): ct for ct in CreditType.objects.filter(public_id__in=valid)}
    return lambda value: shown_terms(value, default, types)


def _walk_ids(value: Any, keys: tuple[str, ...], found: set[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in keys or key.endswith("product_id"):
                for item in inner if isinstance(inner, list) else [inner]:
                    if isinstance(item, str):
                        found.add(item)
            _walk_ids(inner, keys, found)
    elif isinstance(value, list):
        for inner in value:
            _walk_ids(inner, keys, found)


def _cell(key: str, value: Any, names: dict[str, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return names.get(value, value) if key.endswith("product_id") else value
    if isinstance(value, (int, float, Decimal, bool)):
        return str(value)
    return _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), default=str, ensure_ascii=False)


def package_term_sections(package: Package) -> list[TermSection]:
    """The package's terms split into the known sections, each a table of its items."""
    terms = package.terms or {}
    names = product_name_map(package)
    shown = _reader(package)
    sections = []
    for key, title in TERM_SECTIONS:
        value = terms.get(key)
        if value in (None, [], {}):
            continue
        items = value if isinstance(value, list) else [value]
        items = [shown(i) if isinstance(i, dict) else {"value": i} for i in items]
        columns = list(dict.fromkeys(k for item in items for k in item))
        rows = [[_cell(c, item.get(c), names) for c in columns] for item in items]
        sections.append(TermSection(key, title, columns, rows))
    return sections


def package_other_terms(package: Package) -> dict[str, str]:
    """The terms outside the sections (threshold configurations, duration...), as text."""
    known = {key for key, _ in TERM_SECTIONS}
    shown = _reader(package)
    return {
        key: _json(shown(value)) if isinstance(value, (dict, list)) else str(value)
        for key, value in (package.terms or {}).items()
        if key not in known
    }


def product_name_map(package: Package) -> dict[str, str]:
    """public id -> product name, for the product ids named anywhere in the terms."""
    ids: set[str] = set()
    _walk_ids(package.terms or {}, ("product_id", "applicable_product_ids"), ids)
    valid = [u for u in (_uuid(i) for i in ids) if not isinstance(u, str)]
    return {
        str(pid): name
        for pid, name in Product.objects.filter(public_id__in=valid).values_list(
            "public_id", "name"
        )
    }
