"""Spend trackers from the wire (`spend_trackers[]` of a create, `add_spend_trackers[]` and
`archive_spend_trackers` of a v2 edit) and back, with the spend they have accumulated
(contracts/terms/spend_accumulated.py).

A tracker is stored as sent: its alias (unique among the contract's live trackers), its credit
type (the contract's own: commit purchases are invoiced in it, so a tracker in another unit
would never accumulate), its reset frequency and its specifiers. Archiving one frees its alias.
"""

from datetime import datetime
from typing import Any

from billing_console.lib.periods import Period
from billing_console.lib.wire_values import iso, number
from billing_console.wire import Reader
from contracts.models import Contract, SpendTracker
from contracts.terms.balances import contract_credit_type_id
from contracts.terms.spend_accumulated import Accumulated, trackers_accumulated
from contracts.wire.read import uuid_from_wire

RESET_FREQUENCIES = ("BILLING_PERIOD",)
SPEND_TYPES = ("COMMIT_PURCHASE",)
SOURCES = ("THRESHOLD_RECHARGE", "MANUAL")
DISCOUNTED = ("ANY", "DISCOUNTED_ONLY", "UNDISCOUNTED_ONLY")
ALIAS_TAKEN = "'{alias}' is already the alias of a spend tracker on this contract."
OTHER_UNIT = (
    "must be the contract's credit type ({id}): commit purchases are invoiced in it, so a "
    "tracker in another unit would never accumulate."
)
NO_SUCH_ALIAS = "no live spend tracker with the alias '{alias}' on this contract."


def _specifiers(reader: Reader) -> list[dict[str, Any]]:
    items = reader.children("applicable_spend_specifiers", required=True)
    if not items:
        raise reader.fail("applicable_spend_specifiers", "needs at least one specifier.")
    out = []
    for item in items:
        spec: dict[str, Any] = {"spend_type": item.choice("spend_type", SPEND_TYPES, required=True)}
        sources = item.str_list("sources")
        if not sources:
            raise item.fail("sources", f"is required: one or more of {', '.join(SOURCES)}.")
        for index, source in enumerate(sources):
            if source not in SOURCES:
                raise item.fail(f"sources[{index}]", f"must be one of {', '.join(SOURCES)}.")
        spec["sources"] = sources
        if item.has("discounted"):
            spec["discounted"] = item.choice("discounted", DISCOUNTED)
        out.append(spec)
    return out


def _credit_type(reader: Reader, contract: Contract) -> Any:
    from pricing.models import CreditType

    value = uuid_from_wire(
        reader, "credit_type_id", reader.str("credit_type_id", required=True, max_length=64)
    )
    credit_type = CreditType.objects.filter(public_id=value).first()
    if credit_type is None:
        raise reader.fail("credit_type_id", f"no credit type with id {value}.")
    expected = contract_credit_type_id(contract)
    if str(credit_type.public_id) != expected:
        raise reader.fail("credit_type_id", OTHER_UNIT.format(id=expected))
    return credit_type


def spend_tracker_create_from_wire(
    reader: Reader, contract: Contract, taken: set[str]
) -> SpendTracker:
    """One tracker; `taken` holds the aliases of the contract's live trackers."""
    alias = reader.str("alias", required=True, max_length=200)
    if alias in taken:
        raise reader.fail("alias", ALIAS_TAKEN.format(alias=alias))
    return SpendTracker.objects.create(
        contract=contract,
        alias=alias,
        credit_type=_credit_type(reader, contract),
        reset_frequency=reader.choice("reset_frequency", RESET_FREQUENCIES, required=True),
        applicable_spend_specifiers=_specifiers(reader),
    )


def live_trackers(contract: Contract) -> list[SpendTracker]:
    return list(
        contract.spend_trackers.filter(archived_at__isnull=True)
        .select_related("credit_type")
        .order_by("created_at", "pk")
    )


def spend_trackers_create(reader: Reader, contract: Contract, key: str) -> list[SpendTracker]:
    taken = {tracker.alias for tracker in live_trackers(contract)}
    rows = []
    for item in reader.children(key):
        rows.append(spend_tracker_create_from_wire(item, contract, taken))
        taken.add(rows[-1].alias)
    return rows


def spend_trackers_archive(reader: Reader, contract: Contract, now: datetime) -> list[str]:
    """archive_spend_trackers: the aliases of live trackers (each named once)."""
    live = {tracker.alias: tracker for tracker in live_trackers(contract)}
    archived: list[str] = []
    for index, alias in enumerate(reader.str_list("archive_spend_trackers")):
        if alias in archived:
            continue
        if alias not in live:
            raise reader.fail(f"archive_spend_trackers[{index}]", NO_SUCH_ALIAS.format(alias=alias))
        live[alias].archived_at = now
        live[alias].save(update_fields=["archived_at"])
        archived.append(alias)
    return archived


def counts_as_discounted_from_wire(reader: Reader) -> bool | None:
    """A commit's spend_tracker_attributes.counts_as_discounted (None when not sent)."""
    attributes = reader.child("spend_tracker_attributes")
    if attributes is None:
        return None
    value = attributes.bool("counts_as_discounted")
    if value is None:
        raise attributes.fail("counts_as_discounted", "is required.")
    return value


def _accumulated_to_wire(accumulated: Accumulated | None) -> dict[str, Any] | None:
    if accumulated is None:
        return None
    period: Period = accumulated.period
    return {
        "amount": number(accumulated.amount),
        "period_starting_at": iso(period.start),
        "period_ending_before": iso(period.end),
    }


def spend_tracker_to_wire(
    tracker: SpendTracker, accumulated: Accumulated | None = None
) -> dict[str, Any]:
    """The SDK's SpendTracker: as sent, with `accumulated_spend` when there is a window."""
    data = {
        "alias": tracker.alias,
        "credit_type_id": str(tracker.credit_type.public_id),
        "reset_frequency": tracker.reset_frequency,
        "applicable_spend_specifiers": tracker.applicable_spend_specifiers,
        "accumulated_spend": _accumulated_to_wire(accumulated),
    }
    return {k: v for k, v in data.items() if v is not None}


def spend_trackers_to_wire(contract: Contract, at: datetime) -> list[dict[str, Any]]:
    """The contract's live trackers, each with what it accumulated at `at`."""
    trackers = live_trackers(contract)
    accumulated = trackers_accumulated(contract, trackers, at) if trackers else {}
    return [spend_tracker_to_wire(t, accumulated.get(t.pk)) for t in trackers]
