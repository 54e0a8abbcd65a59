"""What a v2 edit changes in place, recorded before (and, for quantities, after) it is applied:
the edit history's "old → new" for overrides and subscriptions (commits: commit_previous).

Overrides have no update on the wire: the console (and any client) replaces one by removing it
and adding the new terms in one edit, so the removed override's terms are kept in the shape
add_overrides shows. A subscription keeps its name and end, and its quantity at each moment a
quantity or seat update of the edit takes effect: before and after the whole edit, as numbers
in words ("10"), since a delta or a seat id says nothing of the quantity it makes."""

from typing import Any

from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from contracts.models import Contract, Override, Subscription
from contracts.terms.subscription_input import subscription_update_from_wire
from contracts.terms.subscriptions import state_at, subscription_timeline
from contracts.wire.read import uuid_from_wire


def overrides_previous(contract: Contract, reader: Reader) -> dict[str, Any]:
    """remove_overrides: each override's terms before the edit, by id."""
    from contracts.wire.write import override_to_wire

    was = {}
    for item in reader.children("remove_overrides"):
        public_id = item.str("id")
        if not public_id:
            continue  # the removal itself names the missing id
        row = Override.objects.filter(
            contract=contract, public_id=uuid_from_wire(item, "id", public_id)
        ).first()
        if row is not None and row.archived_at is None:
            was[str(row.public_id)] = override_to_wire(row)
    return was


def _moments(item: Reader) -> list:
    updates = list(item.children("quantity_updates"))
    seats = item.child("seat_updates")
    if seats is not None:
        for key in ("add_seat_ids", "remove_seat_ids", "add_unassigned_seats", "remove_unassigned_seats"):  # fmt: skip
            updates += seats.children(key)
    return [m for m in (u.datetime("starting_at") for u in updates) if m is not None]


def _quantity(value: Any) -> str:
    return f"{value.normalize():f}"  # 10, not 1E+1


def subscription_update_recorded(item: Reader, contract: Contract, was: dict[str, Any]) -> Subscription:  # fmt: skip
    """One update_subscriptions item applied; `was[id]` the subscription before it, with its
    quantity before and after at each moment the item changes it."""
    public_id = item.str("subscription_id", required=True)
    sub = Subscription.objects.filter(
        contract=contract, public_id=uuid_from_wire(item, "subscription_id", public_id)
    ).first()
    if sub is None:  # the update itself says what is wrong
        return subscription_update_from_wire(item, contract=contract)
    previous: dict[str, Any] = {"name": sub.name, "ending_before": iso(sub.ending_before)}
    moments, before = _moments(item), subscription_timeline(sub)
    sub = subscription_update_from_wire(item, contract=contract)
    after = subscription_timeline(sub)
    previous["quantity_at"] = {
        iso(m): {"was": _quantity(state_at(before, m).quantity),
                 "now": _quantity(state_at(after, m).quantity)}
        for m in moments
    }  # fmt: skip
    was[str(sub.public_id)] = previous
    return sub
