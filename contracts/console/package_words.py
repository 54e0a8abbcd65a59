"""A package's terms in words, for its page, the builder's list of added items and the list's
one-line summary: "12 months · $12,000.00 prepaid commit, pays for any usage · 20% off Storage".
Amounts in the rate card's currency as people read it, products by name, durations as words
("12 months", "from month 2"); never ids, JSON or the API's enum names."""

import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from billing_console.lib.money_text import format_money
from contracts.console.commit_words import pays_for_words, rollover_words
from contracts.console.override_words import override_words
from pricing.console.package_offsets import duration_words, start_words
from pricing.models import Product

FREQUENCY_WORDS = {"MONTHLY": "monthly", "QUARTERLY": "quarterly", "ANNUAL": "annual",
                   "WEEKLY": "weekly", "DAILY": "daily"}  # fmt: skip
PERIOD_WORDS = {"MONTHLY": "month", "QUARTERLY": "quarter", "ANNUAL": "year", "WEEKLY": "week",
                "DAILY": "day"}  # fmt: skip
DAY_WORDS = {"FIRST_OF_MONTH": "on the first of the month",
             "CONTRACT_START": "from the contract start", "CUSTOM_DATE": "on a custom date"}  # fmt: skip


def _ids(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith("product_id") or key == "applicable_product_ids":
                found.update(i for i in (inner if isinstance(inner, list) else [inner]) if i)
            _ids(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _ids(inner, found)


def product_names(terms: dict[str, Any]) -> dict[str, str]:
    """Product public id -> name, for every product the terms name (one query)."""
    found: set[str] = set()
    _ids(terms, found)
    valid = []
    for value in found:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    rows = Product.objects.filter(public_id__in=valid).values_list("public_id", "name")
    return {str(pid): name for pid, name in rows}


def _name(names: dict[str, str], product_id: Any) -> str:
    return names.get(str(product_id), "a removed product")


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def commit_total(item: dict[str, Any]) -> Decimal:
    """A commit's or credit's amount: its access items', added up (stored unit)."""
    items = (item.get("access_schedule") or {}).get("schedule_items") or []
    return sum((_amount(i.get("amount")) for i in items), Decimal(0))


def _kind(item: dict[str, Any], credit: bool) -> str:
    if credit:
        return "credit"
    return "postpaid commit" if item.get("type") == "POSTPAID" else "prepaid commit"


def _window(start: Any, length: Any) -> str:
    """'at the contract start, for 12 months' / 'from month 2, until the contract ends'."""
    until = f"for {duration_words(length)}" if length else "until the contract ends"
    begins = start_words(start).replace("at the contract start", "from the contract start")
    return f"{begins}, {until}"


def _pays_for(item: dict[str, Any], names: dict[str, str]) -> str:
    scope = SimpleNamespace(
        applicable_product_ids=item.get("applicable_product_ids"),
        applicable_product_tags=item.get("applicable_product_tags"),
        specifiers=item.get("specifiers"),
    )
    return pays_for_words(scope, names)


def commit_lines(
    item: dict[str, Any], unit: Any, names: dict[str, str], *, credit: bool
) -> list[str]:
    """What a deal-desk user reads about a commit or credit, one fact a line."""
    access = (item.get("access_schedule") or {}).get("schedule_items") or []
    windows = [_window(i.get("starting_at_offset"), i.get("duration")) for i in access]
    if len(access) > 1:  # each item's amount: they differ
        windows = [
            f"{format_money(i.get('amount'), unit)} {w}"
            for i, w in zip(access, windows, strict=True)
        ]
    lines = [f"Usable {'; then '.join(windows)}" if windows else ""]
    invoice = item.get("invoice_schedule") or {}
    if invoice.get("do_not_invoice"):
        lines.append("Not invoiced (billed outside this system)")
    elif invoice.get("schedule_items"):
        billed = ", ".join(
            f"{format_money(_amount(i.get('quantity', 1)) * _amount(i.get('unit_price')), unit)} "
            f"{start_words(i.get('date_offset'))}"
            for i in invoice["schedule_items"]
        )
        lines.append(f"Billed {billed}")
    elif credit:
        lines.append("Free: not invoiced")
    lines.append(_pays_for(item, names))
    if item.get("rollover_fraction"):
        lines.append(rollover_words(_amount(item["rollover_fraction"])))
    if item.get("priority") is not None:
        lines.append(f"Priority {_amount(item['priority']).normalize():f} (lower is drawn first)")
    return [line for line in lines if line]


def commit_headline(item: dict[str, Any], unit: Any, *, credit: bool) -> str:
    """'$12,000.00 prepaid commit'."""
    return f"{format_money(commit_total(item), unit)} {_kind(item, credit)}"


def override_target(item: dict[str, Any], names: dict[str, str]) -> str:
    """'Storage', 'usage tagged tokens', 'Storage where region=us-east-1'."""
    parts = []
    for spec in item.get("override_specifiers") or []:
        words = [_name(names, spec["product_id"])] if spec.get("product_id") else []
        if spec.get("product_tags"):
            words.append(
                f"{'usage ' if not words else ''}tagged {' and '.join(spec['product_tags'])}"
            )
        groups = {**(spec.get("pricing_group_values") or {}), **(spec.get("presentation_group_values") or {})}  # fmt: skip
        if groups:
            words.append("where " + ", ".join(f"{k}={v}" for k, v in sorted(groups.items())))
        if spec.get("billing_frequency"):
            words.append(f"billed {FREQUENCY_WORDS.get(spec['billing_frequency'], '')}".strip())
        parts.append(" ".join(words) or "any usage")
    return "; ".join(parts) or "any usage"


def override_headline(item: dict[str, Any], unit: Any, names: dict[str, str]) -> str:
    """'20% off Storage', '10% over list on usage tagged gpu', 'new unit price $0.0025 for Calls'."""
    words, target = override_words(item, unit), override_target(item, names)
    if words.endswith(" off list"):
        return f"{words.removesuffix(' list')} {target}"
    if words.endswith(" over list"):
        return f"{words} on {target}"
    return f"{words} for {target}"


def override_lines(item: dict[str, Any]) -> list[str]:
    lines = [_window(item.get("starting_at_offset"), item.get("duration")).capitalize()]
    if item.get("multiplier") is not None:
        lines.append(f"Multiplier {_amount(item['multiplier']).normalize():f} of the list price")
    if item.get("priority") is not None:
        lines.append(f"Priority {_amount(item['priority']).normalize():f}")
    if item.get("is_commit_specific"):
        lines.append("Only for usage drawn from this package's commits")
    if item.get("entitled") is not None:
        lines.append("Entitles the products" if item["entitled"] else "Removes the entitlement")
    return lines


def _monthly_run(items: list[dict[str, Any]]) -> bool:
    """Whether the charge's items are one amount, month after month."""
    offsets = [i.get("date_offset") or {} for i in items]
    if len(items) < 2 or any(o.get("unit") != "MONTHS" for o in offsets):
        return False
    first = int(offsets[0].get("value", 0))
    same = len({(str(i.get("quantity", 1)), str(i.get("unit_price"))) for i in items}) == 1
    return same and [int(o.get("value", 0)) for o in offsets] == list(
        range(first, first + len(items))
    )


def _charge_item_amount(item: dict[str, Any], unit: Any) -> str:
    return format_money(_amount(item.get("quantity", 1)) * _amount(item.get("unit_price")), unit)


def charge_headline(item: dict[str, Any], unit: Any, names: dict[str, str]) -> str:
    """'Platform fee: $500.00 a month, 12 times' or 'Onboarding: $2,000.00 once'."""
    items = (item.get("schedule") or {}).get("schedule_items") or []
    label = item.get("name") or _name(names, item.get("product_id"))
    if not items:
        return label
    if _monthly_run(items):
        return f"{label}: {_charge_item_amount(items[0], unit)} a month, {len(items)} times"
    if len(items) == 1:
        return f"{label}: {_charge_item_amount(items[0], unit)} once"
    total = sum(
        (_amount(i.get("quantity", 1)) * _amount(i.get("unit_price")) for i in items), Decimal(0)
    )
    return f"{label}: {format_money(total, unit)} in {len(items)} charges"


def charge_lines(item: dict[str, Any], unit: Any, names: dict[str, str]) -> list[str]:
    items = (item.get("schedule") or {}).get("schedule_items") or []
    lines = [f"Product: {_name(names, item.get('product_id'))}"]
    if _monthly_run(items):
        lines.append(f"First charged {start_words(items[0].get('date_offset'))}")
    else:
        lines += [
            f"{_charge_item_amount(i, unit)} {start_words(i.get('date_offset'))}" for i in items
        ]
    return lines


def recurring_headline(item: dict[str, Any], unit: Any, *, credit: bool) -> str:
    """'$1,000.00 credit each month' / '$5,000.00 commit each quarter'."""
    access = item.get("access_amount") or {}
    per = _amount(access.get("unit_price")) * _amount(access.get("quantity", 1))
    period = PERIOD_WORDS.get(item.get("recurrence_frequency") or "", "usage statement period")
    kind = "credit" if credit else "commit"
    return f"{format_money(per, unit)} {kind} each {period}"


def recurring_lines(item: dict[str, Any], unit: Any, names: dict[str, str]) -> list[str]:
    periods = _amount((item.get("commit_duration") or {}).get("value", 1)).normalize()
    lines = [
        _window(item.get("starting_at_offset"), item.get("duration")).capitalize(),
        f"Each grant usable for {periods:f} period{'' if periods == 1 else 's'}",
    ]
    invoice = item.get("invoice_amount")
    if invoice:
        per = _amount(invoice.get("unit_price")) * _amount(invoice.get("quantity", 1))
        lines.append(f"Invoiced {format_money(per, unit)} each period")
    lines.append(_pays_for(item, names))
    proration = {"NONE": "Not prorated", "FIRST": "First period prorated",
                 "LAST": "Last period prorated", "FIRST_AND_LAST": "First and last periods prorated"}  # fmt: skip
    if item.get("proration"):
        lines.append(proration.get(item["proration"], ""))
    if item.get("priority") is not None:
        lines.append(f"Priority {_amount(item['priority']).normalize():f}")
    return [line for line in lines if line]


def schedule_words(schedule: dict[str, Any] | None) -> str:
    """'Monthly, from the contract start' (contracts default to that)."""
    schedule = schedule or {"frequency": "MONTHLY", "day": "CONTRACT_START"}
    frequency = FREQUENCY_WORDS.get(schedule.get("frequency", ""), "").capitalize()
    day = DAY_WORDS.get(schedule.get("day") or "CONTRACT_START", "")
    return ", ".join(p for p in (frequency, day) if p)


def summary_parts(terms: dict[str, Any], unit: Any, names: dict[str, str]) -> list[str]:
    """The package in one line's parts: its length, then each commit, credit and override."""
    parts = [duration_words(terms.get("duration")) or "Open-ended"]
    for key, credit in (("commits", False), ("credits", True)):
        for item in terms.get(key) or []:
            pays = _pays_for(item, names)
            parts.append(
                f"{commit_headline(item, unit, credit=credit)}, {pays[0].lower()}{pays[1:]}"
            )
    for key, credit in (("recurring_commits", False), ("recurring_credits", True)):
        parts += [recurring_headline(i, unit, credit=credit) for i in terms.get(key) or []]
    parts += [override_headline(i, unit, names) for i in terms.get("overrides") or []]
    parts += [charge_headline(i, unit, names) for i in terms.get("scheduled_charges") or []]
    return parts
