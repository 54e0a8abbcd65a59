"""A package's terms laid out for reading, on its page and in the builder: one entry per item
(a headline and its facts, in words: contracts.console.package_words), the contract's own terms,
and whatever else the package holds (subscriptions, spend trackers, thresholds...) as labelled
values: never JSON, Python dicts, ids or cents. Terms are stored as the API takes them (USD
amounts in cents); people read the rate card's currency ("$12,000.00")."""

from dataclasses import dataclass, field
from typing import Any

from billing_console.lib.money_text import shown_terms
from contracts.console import package_words as words
from pricing.console.package_offsets import duration_words
from pricing.models import CreditType, Package
from pricing.products import credit_type_get_default

# The items, in the order the page shows them: terms key -> title.
ITEM_SECTIONS = {
    "commits": "Commits",
    "credits": "Credits",
    "recurring_commits": "Recurring commits",
    "recurring_credits": "Recurring credits",
    "overrides": "Discounts and price overrides",
    "scheduled_charges": "Scheduled charges",
}
CONTRACT_KEYS = ("contract_name", "duration", "usage_statement_schedule", "net_payment_terms_days")
LABELS = {"billing_provider": "Billing provider", "delivery_method": "Delivered by",
          "multiplier_override_prioritization": "Override order",
          "scheduled_charges_on_usage_invoices": "Scheduled charges on usage invoices",
          "prepaid_balance_threshold_configuration": "Prepaid balance top-up",
          "spend_threshold_configuration": "Spend threshold billing",
          "rate_card_alias": "Rate card alias"}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    headline: str
    lines: list[str]
    remove: str = ""  # the builder's remove action ("remove:commits:0")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    entries: list[Entry] = field(default_factory=list)


def _entry(key: str, item: dict[str, Any], unit: Any, names: dict[str, str]) -> Entry:
    credit = key in ("credits", "recurring_credits")
    if key in ("commits", "credits"):
        head = words.commit_headline(item, unit, credit=credit)
        title = item.get("name") or names.get(str(item.get("product_id")), "")
        lines = words.commit_lines(item, unit, names, credit=credit)
        return Entry(f"{title}: {head}" if title else head, lines)
    if key in ("recurring_commits", "recurring_credits"):
        head = words.recurring_headline(item, unit, credit=credit)
        title = item.get("name") or names.get(str(item.get("product_id")), "")
        return Entry(
            f"{title}: {head}" if title else head, words.recurring_lines(item, unit, names)
        )
    if key == "overrides":
        return Entry(words.override_headline(item, unit, names), words.override_lines(item))
    return Entry(words.charge_headline(item, unit, names), words.charge_lines(item, unit, names))


def item_sections(terms: dict[str, Any], unit: Any, *, removable: bool = False) -> list[Section]:
    """The terms' items by section (the empty ones left out)."""
    names = words.product_names(terms)
    sections = []
    for key, title in ITEM_SECTIONS.items():
        entries = []
        for index, item in enumerate(terms.get(key) or []):
            entry = _entry(key, item, unit, names)
            if removable:
                entry = Entry(entry.headline, entry.lines, f"remove:{key}:{index}")
            entries.append(entry)
        if entries:
            sections.append(Section(key, title, entries))
    return sections


def draft_items(draft: dict[str, list[dict[str, Any]]], unit: Any) -> list[Section]:
    """The builder's items so far, each with its remove button's action."""
    return item_sections(draft, unit, removable=True)


def package_unit(package: Package) -> CreditType:
    card = package.rate_card
    return card.fiat_credit_type if card is not None else credit_type_get_default()


def package_summary(package: Package) -> str:
    """'12 months · $12,000.00 prepaid commit, pays for any usage · 20% off Storage'."""
    terms = package.terms or {}
    return " · ".join(words.summary_parts(terms, package_unit(package), words.product_names(terms)))


def contract_terms(package: Package) -> list[tuple[str, str]]:
    """What a contract from the package starts with, as (label, words)."""
    terms = package.terms or {}
    rows = [
        ("Contract name", terms.get("contract_name") or "The name given at creation"),
        ("Length", duration_words(terms.get("duration")) or "Open-ended"),
        ("Usage statements", words.schedule_words(terms.get("usage_statement_schedule"))),
    ]
    if terms.get("net_payment_terms_days") is not None:
        rows.append(("Payment terms", f"Net {terms['net_payment_terms_days']} days"))
    return rows


def _label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _readable(value: Any, names: dict[str, str]) -> str:
    """A stored value in words: offsets as lengths, enum names as words, ids as names."""
    if isinstance(value, dict):
        if set(value) == {"unit", "value"}:
            return duration_words(value)
        return "; ".join(f"{_label(k)}: {_readable(v, names)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_readable(v, names) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text in names:
        return names[text]
    if text.isupper() and text.replace("_", "").isalpha():
        return text.replace("_", " ").lower()
    return text


def other_terms(package: Package) -> list[tuple[str, str]]:
    """Everything else the package holds (subscriptions, spend trackers...), labelled."""
    terms = package.terms or {}
    names = words.product_names(terms)
    shown = shown_terms(terms, package_unit(package))
    known = set(ITEM_SECTIONS) | set(CONTRACT_KEYS)
    rows = []
    for key, value in shown.items():
        if key in known:
            continue
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            label = _label(key) + (
                f" {index + 1}" if isinstance(value, list) and len(value) > 1 else ""
            )
            clean = (
                {k: v for k, v in item.items() if k != "temporary_id"}
                if isinstance(item, dict)
                else item
            )
            rows.append((label, _readable(clean, names)))
    return rows
