"""Contract items and edits in words, for the contract page and the history page: what an
override applies to, a recurring item's amount per period, and each recorded edit (the API's
wire of it) as lines like "Changed commit: Annual: priority 3", with names for the ids."""

import json
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from billing_console.templatetags.money import format_money
from contracts.console.edit_words import REPLACED_KEY, overrides_replaced, subscription_changes
from contracts.console.override_words import override_words
from contracts.console.reporting_page import reporting_added_words
from contracts.console.schedule_words import schedule_change_words, trim_lines
from contracts.models import Contract, ContractEdit
from pricing.models import Product


def credit_type(contract: Contract):
    from pricing.services import credit_type_get_default

    return contract.rate_card.fiat_credit_type if contract.rate_card else credit_type_get_default()


def per_period(amount: dict | None) -> Decimal | None:
    if not amount:
        return None
    return Decimal(str(amount["unit_price"])) * Decimal(str(amount.get("quantity", 1)))


def override_scopes(overrides: list) -> dict[int, str]:
    """What each override applies to, in words: 'Calls · region=us-east-1', 'tags: tokens'."""
    ids = {s["product_id"] for o in overrides for s in o.override_specifiers or [] if s.get("product_id")}  # fmt: skip
    names = {str(p.public_id): p.name for p in Product.objects.filter(public_id__in=ids)}
    scopes = {}
    for o in overrides:
        parts = [o.product.name] if o.product_id else []
        for spec in o.override_specifiers or []:
            values = " ".join(
                f"{k}={v}" for k, v in (spec.get("pricing_group_values") or {}).items()
            )
            tags = ", ".join(spec.get("product_tags") or [])
            bits = [
                names.get(spec.get("product_id", ""), ""),
                values,
                f"tags: {tags}" if tags else "",
            ]
            parts.append(" · ".join(b for b in bits if b))
        if o.applicable_product_tags:
            parts.append(f"tags: {', '.join(o.applicable_product_tags)}")
        scopes[o.pk] = "; ".join(p for p in parts if p) or "—"
    return scopes


LABELS = {
    "add_commits": "Added commit",
    "add_credits": "Added credit",
    "add_overrides": "Added override",
    "add_scheduled_charges": "Added scheduled charge",
    "add_recurring_commits": "Added recurring commit",
    "add_recurring_credits": "Added recurring credit",
    "add_subscriptions": "Added subscription",
    "add_discounts": "Added discount",
    "add_pro_services": "Added professional service",
    "archive_commits": "Archived commit",
    "archive_credits": "Archived credit",
    "archive_scheduled_charges": "Archived scheduled charge",
    "remove_overrides": "Removed override",
    "update_commits": "Changed commit",
    "update_credits": "Changed credit",
    "update_recurring_commits": "Changed recurring commit",
    "update_recurring_credits": "Changed recurring credit",
    "update_subscriptions": "Changed subscription",
    "update_contract_name": "Renamed",
    "update_contract_end_date": "End date",
    "update_scheduled_charges": "Changed scheduled charge",
    "end_date_trim": "Trimmed",
    "update_net_payment_terms_days": "Payment terms (days)",
    "add_spend_trackers": "Added spend tracker",
    "archive_spend_trackers": "Archived spend tracker",
    "add_reseller_royalties": "Added reseller royalty",
}


COMMIT_UPDATES = ("update_commits", "update_credits")  # their old values are recorded
OLD_RECORDED = (*COMMIT_UPDATES, "update_subscriptions")


def _names(contract: Contract) -> dict[str, str]:
    """Display names of everything on the contract, archived or not, by public id."""
    names: dict[str, str] = {}
    for rows in (
        contract.commits.select_related("product"),
        contract.scheduled_charges.select_related("product"),
        contract.recurring_commits.select_related("product"),
        contract.subscriptions.select_related("product"),
    ):
        for row in rows:
            names[str(row.public_id)] = row.name or row.product.name
    for service in contract.professional_services.select_related("product"):
        names[str(service.public_id)] = service.description or service.product.name
    overrides = list(contract.overrides.select_related("product"))
    scopes = override_scopes(overrides)
    for override in overrides:
        names[str(override.public_id)] = scopes[override.pk]
    return names


def _day(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    return f"{moment:%b} {moment.day}, {moment.year}" if moment else "open-ended"


def _item_name(item: dict, names: dict[str, str]) -> str:
    product = item.get("product") or (item.get("subscription_rate") or {}).get("product") or {}
    return item.get("name") or names.get(item.get("id", "")) or product.get("name") or item.get("id", "")  # fmt: skip


def _added(key: str, item: dict, names: dict[str, str], unit) -> str:
    name = _item_name(item, names)
    if key in ("add_commits", "add_credits"):
        total = sum(Decimal(str(s["amount"])) for s in item["access_schedule"]["schedule_items"])
        kind = item.get("type", "CREDIT").lower()
        return f"{name} ({kind}, {format_money(total, unit)})"
    if key == "add_overrides":
        scope = names.get(item.get("id", ""), name)  # "Calls: 20% off list from Jan 1, 2026"
        return f"{scope}: {override_words(item, unit)} from {_day(item.get('starting_at'))}"
    if key == "add_scheduled_charges":
        total = sum(Decimal(str(i["amount"])) for i in item["schedule"]["schedule_items"])
        return f"{name} ({format_money(total, unit)})"
    if key == "add_discounts":
        total = sum(Decimal(str(i["amount"])) for i in item["schedule"]["schedule_items"])
        return f"{name} ({format_money(-total, unit)})"
    if key in ("add_spend_trackers", "add_reseller_royalties"):
        return reporting_added_words(key, item)
    if key == "add_pro_services":
        return f"{name} (up to {format_money(item['max_amount'], unit)})"
    if key in ("add_recurring_commits", "add_recurring_credits"):
        per = per_period(item.get("access_amount"))
        every = (item.get("recurrence_frequency") or "each period").lower()
        return f"{name} ({format_money(per, unit)} {every})"
    return name


def _old_new(old: dict, field: str, new: str, show=str) -> str:
    """ "old → new" where the edit recorded the old value; "→ new" for edits before it did."""
    return f"{show(old[field])} → {new}" if field in old else f"→ {new}"


def _commit_change(key: str, value: Any, old: dict | None) -> str | None:
    """A commit's name, priority or access end, old → new (old: commit_previous's record)."""
    if old is None:
        return None
    if key in ("name", "priority"):
        return f"{key} {_old_new(old, key, str(value), lambda v: v if v not in (None, '') else 'none')}"
    if key == "access_schedule":
        ends = old.get("access_ends", {})
        parts = [
            f"access ends before {_old_new(ends, i.get('id'), _day(i['ending_before']), _day)}"
            for i in value.get("update_schedule_items", [])
            if i.get("ending_before")
        ]
        return "; ".join(parts) or None
    return None


def _change(key: str, value: Any, unit, old: dict | None = None, was: dict | None = None) -> str:
    if (words := _commit_change(key, value, old)) is not None:
        return words
    if key == "ending_before":
        return f"ends before {_day(value)}" if value else "runs to the contract's end"
    if key in ("access_amount", "invoice_amount"):
        return f"{key.replace('_', ' ')} {format_money(value.get('unit_price'), unit)}"
    if key == "invoice_schedule":
        return schedule_change_words(value, unit, was or {})
    if key == "access_schedule":
        ends = [i.get("ending_before") for i in value.get("update_schedule_items", []) if i.get("ending_before")]  # fmt: skip
        return f"access ends before {_day(ends[0])}" if ends else "access schedule changed"
    if key == "quantity_updates":
        return "; ".join(f"quantity {u.get('quantity', u.get('quantity_delta'))} from {_day(u['starting_at'])}" for u in value)  # fmt: skip
    if key == "seat_updates":
        parts = []
        for action, updates in value.items():
            for u in updates:
                what = ", ".join(u["seat_ids"]) if "seat_ids" in u else u.get("quantity")
                parts.append(f"{action.replace('_', ' ')} {what} from {_day(u['starting_at'])}")
        return "; ".join(parts)
    if value is None:
        return f"{key} removed"
    if isinstance(value, (dict, list)):
        return f"{key} {json.dumps(value, sort_keys=True)[:120]}"
    return f"{key} {value}"


def _lines(key: str, value: Any, names: dict[str, str], unit, was: dict) -> list[str]:
    if key.startswith(("add_spend_threshold", "add_prepaid", "update_spend", "update_prepaid")):
        return ["set" if key.startswith("add_") else "updated"]
    if key == "update_contract_end_date":
        return [_old_new(was.get("contract", {}), "ending_before", _day(value), _day)]
    if key == "end_date_trim":
        return trim_lines(value, unit)
    if key == "update_contract_name":
        old = was.get("contract", {})
        return [_old_new(old, "name", value or "name removed", lambda v: v or "unnamed")]
    if not isinstance(value, list):
        return [str(value)]
    out = []
    for item in value:
        if not isinstance(item, dict):  # an edit recorded before wire summaries: ids only
            out.append(names.get(str(item), str(item)))
        elif key.startswith("add_"):
            out.append(_added(key, item, names, unit))
        elif key.startswith("update_"):
            old = was.get(key, {}).get(item.get("id", "")) if key in OLD_RECORDED else None
            items_was = was.get("schedule_items", {})
            if key == "update_subscriptions" and old is not None:
                changes = subscription_changes(item, old, lambda k, v: _change(k, v, unit))
            else:
                changes = [_change(k, v, unit, old, items_was) for k, v in item.items() if k != "id"]  # fmt: skip
            out.append(f"{_item_name(item, names)}: {', '.join(changes)}")
        else:
            out.append(_item_name(item, names))
    return out


def edit_rows(contract: Contract, edits: list[ContractEdit]) -> list[dict]:
    """Each edit with who made it and what it changed, one line per item."""
    names = _names(contract) if edits else {}
    unit = credit_type(contract)
    rows = []
    for edit in edits:
        body = {k: v for k, v in (edit.wire or edit.changes).items() if k != "previous"}
        was = edit.changes.get("previous", {})  # old values, recorded since Dec 2026
        replaced, body = overrides_replaced(body, was, names, unit)
        lines = [{"label": "Changed override", "key": REPLACED_KEY, "text": t} for t in replaced]
        lines += [
            {"label": LABELS.get(key, key.replace("_", " ").capitalize()), "key": key, "text": text}
            for key, value in body.items()
            if key not in ("id", "timestamp", "uniqueness_key", "allow_contract_ending_before_finalized_invoice")
            for text in _lines(key, value, names, unit, was)
        ]  # fmt: skip
        rows.append({"edit": edit, "lines": lines})
    return rows
