"""update_scheduled_charges of a /v2/contracts/edit: every field of an item, honoured (naming
the test that shows it) or refused (billing_console/wire_fields.py). Mounted under
`update_scheduled_charges[]` in contracts/wire/fields/__init__.py."""

from billing_console.wire_fields import honour

CHARGE_EDITS = "contracts.tests.test_charge_edits::"
# Sent through the SDK and read back (contract and edit history) as sent.
CHARGE_UPDATES = CHARGE_EDITS + "test_update_scheduled_charges_read_back_as_sent"
# A draft is recomputed and a finalized item refused, to the cent on the invoices.
CHARGE_BILLED = CHARGE_EDITS + "test_edits_recompute_drafts_and_leave_finalized_invoices_alone"

# An invoice schedule edited in place (update_scheduled_charges[], update_commits[]).
INVOICE_SCHEDULE_EDITS = tuple(
    f"invoice_schedule{tail}"
    for tail in (
        "",
        ".add_schedule_items",
        ".add_schedule_items[].amount",
        ".add_schedule_items[].quantity",
        ".add_schedule_items[].timestamp",
        ".add_schedule_items[].unit_price",
        ".remove_schedule_items",
        ".remove_schedule_items[].id",
        ".update_schedule_items",
        ".update_schedule_items[].amount",
        ".update_schedule_items[].id",
        ".update_schedule_items[].quantity",
        ".update_schedule_items[].timestamp",
        ".update_schedule_items[].unit_price",
    )
)

SCHEDULED_CHARGE_UPDATE = honour(
    CHARGE_UPDATES,
    "scheduled_charge_id",
    "netsuite_sales_order_id",  # null clears it
    *INVOICE_SCHEDULE_EDITS,
)
