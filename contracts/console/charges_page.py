"""The contract page's scheduled charges: each charge with its items by date, an item already
on a finalized SCHEDULED invoice marked with that invoice's number (it cannot change), and the
upcoming ones counted for the whole-charge archive. Reads only."""

from contracts.models import Contract
from contracts.terms.finalized_moments import finalized_scheduled_invoices


def charge_rows(contract: Contract) -> list[dict]:
    """Charges by their first item's date, items by date. A charge with no items left (all
    removed, or trimmed by an end-date move) bills nothing and is not listed."""
    finalized = finalized_scheduled_invoices(contract)  # moment -> invoice number
    charges = (
        contract.scheduled_charges.filter(archived_at__isnull=True)
        .select_related("product")
        .prefetch_related("items")
        .order_by("created_at", "pk")
    )
    rows = []
    for charge in charges:
        items = [
            {"item": item, "invoiced": finalized.get(item.timestamp)}
            for item in sorted(charge.items.all(), key=lambda i: (i.timestamp, i.pk))
        ]
        if not items:
            continue
        rows.append({
            "charge": charge,
            "name": charge.name or charge.product.name,
            "items": items,
            "upcoming": sum(1 for i in items if i["invoiced"] is None),
        })  # fmt: skip
    rows.sort(key=lambda r: r["items"][0]["item"].timestamp)
    return rows
