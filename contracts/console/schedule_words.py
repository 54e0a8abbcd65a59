"""Scheduled items in words, for the edit history: an invoice schedule's changes
("2 items added, 1 removed") and what an end-date move trimmed (contracts/end_date.py's
`end_date_trim` record), with amounts in the contract's currency."""

from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from billing_console.templatetags.money import format_money
from pricing.models import CreditType


def _day(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    return f"{moment:%b} {moment.day}, {moment.year}" if moment else "—"


def _amount(value: Any, unit: Any) -> str:
    return format_money(Decimal(str(value)), unit) if value is not None else "—"


def _item_words(item: dict[str, Any], unit: Any) -> str:
    return f"{_day(item.get('timestamp'))} {_amount(item.get('amount'), unit)}"


def _known_changes(schedule: dict[str, Any], unit: Any, was: dict[str, Any]) -> list[str]:
    """Removed and updated items whose old date and amount the edit recorded, old → new."""
    parts = []
    for i in schedule.get("remove_schedule_items") or []:
        if i.get("id") in was:
            parts.append(f"removed {_item_words(was[i['id']], unit)}")
    for i in schedule.get("update_schedule_items") or []:
        if i.get("id") in was:
            new = {**was[i["id"]], **{k: i[k] for k in ("timestamp", "amount") if k in i}}
            parts.append(f"{_item_words(was[i['id']], unit)} → {_item_words(new, unit)}")
    return parts


def schedule_change_words(
    schedule: dict[str, Any], unit: Any, was: dict[str, Any] | None = None
) -> str:
    """An update_schedule_items / add_ / remove_ change of an invoice schedule, counted, with the
    dates and amounts of what was added, and of what was removed or changed where the edit
    recorded them (`was`: the old timestamp and amount by item id)."""
    was = was or {}
    parts = []
    added = schedule.get("add_schedule_items") or []
    if added:
        items = ", ".join(
            f"{_day(i.get('timestamp'))} {_amount(i.get('amount', i.get('unit_price')), unit)}"
            for i in added
        )
        parts.append(f"added {items}")
    parts += _known_changes(schedule, unit, was)
    for key, verb in (("update_schedule_items", "changed"), ("remove_schedule_items", "removed")):
        count = len([i for i in schedule.get(key) or [] if i.get("id") not in was])
        if count:
            parts.append(f"{count} item{'s' if count > 1 else ''} {verb}")
    return "invoice schedule: " + ("; ".join(parts) or "unchanged")


def trim_lines(trim: dict[str, Any], unit: Any) -> list[str]:
    """One line per item the end-date move removed, cut or kept."""
    access = trim.get("access_schedule_items_removed", []) + trim.get("access_schedule_items_cut", [])  # fmt: skip
    ids = {row["credit_type_id"] for row in access if row.get("credit_type_id")}
    units = {str(c.public_id): c for c in CreditType.objects.filter(public_id__in=ids)} if ids else {}  # fmt: skip
    lines = []
    for row in trim.get("scheduled_charge_items_removed", []):
        when, amount = _day(row["timestamp"]), _amount(row["amount"], unit)
        lines.append(f"Scheduled charge {row['name']} of {when} removed ({amount})")
    for row in trim.get("commit_invoice_items_removed", []):
        when, amount = _day(row["timestamp"]), _amount(row["amount"], unit)
        lines.append(f"Invoice of commit {row['name']} on {when} removed ({amount})")
    for row in trim.get("customer_commit_invoice_items_removed", []):
        when, amount = _day(row["timestamp"]), _amount(row["amount"], unit)
        lines.append(f"Invoice of customer commit {row['name']} on {when} removed ({amount})")
    for row in trim.get("discount_items_removed", []):
        when, amount = _day(row["timestamp"]), _amount(row["amount"], unit)
        lines.append(f"Discount {row['name']} of {when} removed ({amount} off)")
    for row in trim.get("access_schedule_items_removed", []):
        start = _day(row["starting_at"])
        amount = _amount(row["amount"], units.get(row.get("credit_type_id", ""), unit))
        lines.append(f"Access of {row['name']} from {start} removed ({amount})")
    for row in trim.get("access_schedule_items_cut", []):
        was, now = _day(row["previous_ending_before"]), _day(row["ending_before"])
        lines.append(f"Access of {row['name']} now ends {now} (was {was})")
    for row in trim.get("commits_archived", []):
        lines.append(f"{row['name']} archived: no access left")
    for row in trim.get("kept_on_finalized_invoices", []):
        when, amount = _day(row["timestamp"]), _amount(row["amount"], unit)
        lines.append(f"{row['name']} of {when} kept: on finalized invoice {row['invoice_number']} ({amount})")  # fmt: skip
    return lines
