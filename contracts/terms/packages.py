"""Contracts from packages: a package's terms (offsets from the contract start) turned into a
/v1/contracts/create body with dates, and merged with the request's own terms.

The request's scalars (name, end date, schedule, ...) win over the package's; its lists
(commits, credits, overrides, ...) are added after the package's.
"""

from datetime import datetime, timedelta
from typing import Any

from billing_console.lib.periods import add_months
from billing_console.wire import Reader
from pricing.models import Package

LISTS = (
    "commits",
    "credits",
    "overrides",
    "scheduled_charges",
    "recurring_commits",
    "recurring_credits",
    "spend_trackers",
)
SCALARS = (
    "multiplier_override_prioritization",
    "net_payment_terms_days",
    "scheduled_charges_on_usage_invoices",
    "spend_threshold_configuration",
    "prepaid_balance_threshold_configuration",
)
TEMPORARY_REFS = ("commit_ids", "recurring_commit_ids", "any_commit_or_credit_ids")


def shift(moment: datetime, offset: dict[str, Any]) -> datetime:
    value = int(offset["value"])
    unit = offset["unit"]
    if unit == "DAYS":
        return moment + timedelta(days=value)
    if unit == "WEEKS":
        return moment + timedelta(weeks=value)
    return add_months(moment, value * (12 if unit == "YEARS" else 1))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _dated_window(item: dict[str, Any], start: datetime) -> dict[str, Any]:
    """{starting_at_offset, duration?} → {starting_at, ending_before?}."""
    out = {k: v for k, v in item.items() if k not in ("starting_at_offset", "duration")}
    begins = shift(start, item["starting_at_offset"]) if "starting_at_offset" in item else start
    out["starting_at"] = _iso(begins)
    if item.get("duration"):
        out["ending_before"] = _iso(shift(begins, item["duration"]))
    return out


def _dated_points(schedule: dict[str, Any], start: datetime) -> dict[str, Any]:
    items = [
        {
            **{k: v for k, v in i.items() if k != "date_offset"},
            "timestamp": _iso(shift(start, i["date_offset"])),
        }
        for i in schedule.get("schedule_items", [])
    ]
    return {**schedule, "schedule_items": items}


def _commit(term: dict[str, Any], start: datetime) -> dict[str, Any]:
    out = {k: v for k, v in term.items() if k != "temporary_id"}
    access = term["access_schedule"]
    out["access_schedule"] = {
        **access,
        "schedule_items": [
            {k: v for k, v in _dated_window(i, start).items()}
            for i in access.get("schedule_items", [])
        ],
    }
    if "invoice_schedule" in term:
        out["invoice_schedule"] = _dated_points(term["invoice_schedule"], start)
    return out


def _override(term: dict[str, Any], start: datetime) -> dict[str, Any]:
    out = _dated_window(term, start)
    out["override_specifiers"] = [
        {k: v for k, v in spec.items() if k not in TEMPORARY_REFS}
        for spec in term.get("override_specifiers", [])
    ]
    return out


def package_terms_to_contract(package: Package, start: datetime) -> dict[str, Any]:
    """The package's terms as a contract create body for a contract starting at `start`."""
    terms = package.terms or {}
    body: dict[str, Any] = {k: terms[k] for k in SCALARS if k in terms}
    body["commits"] = [_commit(t, start) for t in terms.get("commits", [])]
    body["credits"] = [_commit(t, start) for t in terms.get("credits", [])]
    body["overrides"] = [_override(t, start) for t in terms.get("overrides", [])]
    body["scheduled_charges"] = [
        {**t, "schedule": _dated_points(t["schedule"], start)}
        for t in terms.get("scheduled_charges", [])
    ]
    for key in ("recurring_commits", "recurring_credits"):
        body[key] = [
            {k: v for k, v in _dated_window(t, start).items() if k != "temporary_id"}
            for t in terms.get(key, [])
        ]
    body["spend_trackers"] = list(terms.get("spend_trackers", []))  # no dates to shift
    if terms.get("contract_name"):
        body["name"] = terms["contract_name"]
    if terms.get("duration"):
        body["ending_before"] = _iso(shift(start, terms["duration"]))
    schedule = terms.get("usage_statement_schedule")
    if schedule:
        out = {k: v for k, v in schedule.items() if k != "invoice_generation_starting_at_offset"}
        if "invoice_generation_starting_at_offset" in schedule:
            moment = shift(start, schedule["invoice_generation_starting_at_offset"])
            out["invoice_generation_starting_at"] = _iso(moment)
        body["usage_statement_schedule"] = out
    return body


def _package(reader: Reader) -> Package | None:
    from contracts.wire.read import uuid_from_wire

    if reader.has("package_id") and reader.has("package_alias"):
        raise reader.fail("package_alias", "give package_id or package_alias, not both.")
    if reader.has("package_alias"):
        alias = reader.str("package_alias", required=True)
        for package in Package.objects.filter(archived_at__isnull=True):
            if any(a.get("name") == alias for a in package.aliases or []):
                return package
        raise reader.fail("package_alias", f"no active package has the alias '{alias}'.")
    if not reader.has("package_id"):
        return None
    value = uuid_from_wire(reader, "package_id", reader.str("package_id"))
    package = Package.objects.filter(public_id=value, archived_at__isnull=True).first()
    if package is None:
        raise reader.fail("package_id", f"no active package with id {value}.")
    return package


def with_package(data: dict[str, Any]) -> tuple[dict[str, Any], Package | None]:
    """The create body with the package's terms merged in, and the package (or None)."""
    reader = Reader(data)
    package = _package(reader)
    if package is None:
        return data, None
    if reader.has("rate_card_id") or reader.has("rate_card_alias"):
        raise reader.fail(
            "rate_card_id", "a contract from a package takes the package's rate card."
        )
    start = reader.datetime("starting_at", required=True)
    assert start is not None
    body = package_terms_to_contract(package, start)
    merged: dict[str, Any] = {**body, **{k: v for k, v in data.items() if k not in LISTS}}
    for key in LISTS:
        merged[key] = body.get(key, []) + list(reader.list(key))
    merged.pop("package_id", None)
    merged.pop("package_alias", None)
    if package.rate_card_id:
        merged["rate_card_id"] = str(package.rate_card.public_id)
    return merged, package
