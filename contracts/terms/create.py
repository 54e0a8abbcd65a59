"""A contract's terms from the wire: commits and credits (access and invoice schedules),
overrides and scheduled charges, each validated with errors naming its field path."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from billing_console.wire import Reader
from contracts.models import (
    Commit,
    CommitInvoiceItem,
    CommitKind,
    Contract,
    Override,
    OverrideType,
    ScheduledCharge,
    ScheduledChargeItem,
)
from contracts.terms import ledger
from contracts.terms.child_access import child_access_from_wire
from contracts.terms.external_ids import external_id_from_wire
from contracts.terms.finalized_moments import finalized_scheduled_invoices, open_moment
from contracts.terms.spend_trackers import counts_as_discounted_from_wire
from contracts.wire.read import (
    CommitRefs,
    access_credit_type,
    product_from_wire,
    specifiers_from_wire,
    uuid_from_wire,
    window_from_wire,
)
from customers.models import Customer

UNIQUENESS_KEY_REUSED = (
    "uniqueness_key: '{key}' was already used for another {what} of this customer."
)


def _segments(commit: Commit, schedule: Reader) -> None:
    for item in schedule.children("schedule_items", required=True):
        start, end = window_from_wire(item, end_required=True)
        amount = item.decimal("amount", required=True, minimum=Decimal(0))
        ledger.segment_add(commit, amount=amount, start=start, end=end)
    if not commit.segments.exists():
        raise schedule.fail("schedule_items", "needs at least one item.")


def priced_item(item: Reader) -> tuple[Decimal, Decimal, Decimal]:
    """(amount, quantity, unit_price) of a schedule item: `amount`, or unit_price x quantity;
    quantity 1 and unit_price the amount when not given."""
    unit_price = item.decimal("unit_price", minimum=Decimal(0))
    quantity = item.decimal("quantity", minimum=Decimal(0))
    amount = item.decimal("amount", minimum=Decimal(0))
    if amount is None:
        if unit_price is None:
            raise item.fail("amount", "is required (or unit_price and quantity).")
        amount = unit_price * (quantity if quantity is not None else Decimal(1))
    quantity = quantity if quantity is not None else Decimal(1)
    return amount, quantity, unit_price if unit_price is not None else amount


def invoice_moments(commit: Commit) -> tuple[dict, datetime | None]:
    """What an invoice schedule item of `commit` may not be dated at: a finalized scheduled
    invoice of the contract it is billed on, and (a prepaid commit's, billed on scheduled
    invoices) that contract's end and after. A postpaid commit's items mark its true-up, billed
    when its access ends, which may be the contract's end."""
    contract = commit.invoice_contract or commit.contract
    billed = contract is not None and commit.kind == CommitKind.PREPAID
    return finalized_scheduled_invoices(contract), contract.ending_before if billed else None  # type: ignore[union-attr]


def invoice_items_create(commit: Commit, schedule: Reader, key: str = "schedule_items") -> None:
    finalized, end = invoice_moments(commit)
    for item in schedule.children(key):
        timestamp = open_moment(item, item.datetime("timestamp", required=True), finalized, end)  # type: ignore[arg-type]
        amount, quantity, unit_price = priced_item(item)
        CommitInvoiceItem.objects.create(
            commit=commit,
            timestamp=timestamp,
            amount=amount,
            quantity=quantity,
            unit_price=unit_price,
        )


def commit_create_from_wire(
    reader: Reader, *, customer: Customer, contract: Contract | None, kind: str | None = None
) -> Commit:
    """Create one commit (kind from `type`) or credit (kind=CREDIT) from its wire dict."""
    if kind is None:
        kind = reader.choice("type", (CommitKind.PREPAID, CommitKind.POSTPAID), required=True)
    commit = Commit(
        customer=customer,
        contract=contract,
        kind=kind,
        product=product_from_wire(reader, "product_id"),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        priority=reader.decimal("priority"),
        applicable_product_ids=[
            uuid_from_wire(reader, "applicable_product_ids", p)
            for p in reader.str_list("applicable_product_ids")
        ],
        applicable_product_tags=reader.str_list("applicable_product_tags"),
        specifiers=specifiers_from_wire(reader, "specifiers"),
        rate_type=reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE"), default="LIST_RATE"),
        counts_as_discounted=counts_as_discounted_from_wire(reader),  # spend_tracker_attributes
        rollover_fraction=reader.decimal("rollover_fraction", minimum=Decimal(0)),
        custom_fields=reader.str_map("custom_fields"),
        uniqueness_key=reader.str("uniqueness_key", max_length=128) or None,
        netsuite_sales_order_id=external_id_from_wire(reader, "netsuite_sales_order_id"),
        salesforce_opportunity_id=external_id_from_wire(reader, "salesforce_opportunity_id"),
        **child_access_from_wire(reader, contract),
    )
    if commit.rollover_fraction is not None and commit.rollover_fraction > 1:
        raise reader.fail("rollover_fraction", "must be between 0 and 1.")
    invoice_schedule = reader.child("invoice_schedule")
    if invoice_schedule is not None:
        commit.invoice_schedule = reader.raw("invoice_schedule")  # its text checked
        commit.do_not_invoice = bool(invoice_schedule.bool("do_not_invoice", False))
    custom_fields_validate(
        entity="contract_credit" if kind == CommitKind.CREDIT else "commit",
        values=commit.custom_fields,
    ) if commit.custom_fields else None
    try:
        with transaction.atomic():
            commit.save()
    except IntegrityError:
        raise ApplicationError(
            UNIQUENESS_KEY_REUSED.format(key=commit.uniqueness_key, what="commit"), "conflict"
        ) from None
    access = reader.child(
        "access_schedule", required=kind != CommitKind.POSTPAID or not reader.has("amount")
    )
    if access is not None:
        commit.access_credit_type = access_credit_type(access, contract)
        if commit.access_credit_type is not None:
            commit.save(update_fields=["access_credit_type"])
        _segments(commit, access)
    elif kind == CommitKind.POSTPAID and reader.has("amount"):
        raise reader.fail("access_schedule", "is required.")
    if invoice_schedule is not None:
        invoice_items_create(commit, invoice_schedule)
    return commit


def override_create_from_wire(
    reader: Reader, contract: Contract, temporary_ids: dict[str, str] | None = None
) -> Override:
    """One override; `temporary_ids` maps the temporary_id of commits, credits and recurring
    ones created in the same payload to their ids (for commit-specific specifiers)."""
    start, end = window_from_wire(reader)
    kind = reader.choice("type", tuple(OverrideType.values), default="")
    commit_specific = bool(reader.bool("is_commit_specific", False))
    refs = CommitRefs(contract, temporary_ids or {}) if commit_specific else None
    override = Override(
        contract=contract,
        starting_at=start,
        ending_before=end,
        product=product_from_wire(reader, "product_id", required=False),
        applicable_product_tags=reader.str_list("applicable_product_tags"),
        override_specifiers=specifiers_from_wire(reader, "override_specifiers", commits=refs),
        multiplier=reader.decimal("multiplier", minimum=Decimal(0)),
        priority=reader.decimal("priority"),
        entitled=reader.bool("entitled"),
        is_commit_specific=commit_specific,
        target=reader.choice("target", ("COMMIT_RATE", "LIST_RATE")),
    )
    if override.target and not override.is_commit_specific:
        raise reader.fail(
            "target", "only a commit-specific override (is_commit_specific) has a target."
        )
    overwrite = reader.child("overwrite_rate")
    if overwrite is not None:
        override.overwrite_rate = _overwrite_rate(overwrite)
    tiers = reader.children("tiers")
    if tiers:
        override.tiers = [
            {
                "multiplier": str(t.decimal("multiplier", required=True, minimum=Decimal(0))),
                **({"size": str(t.decimal("size", positive=True))} if t.has("size") else {}),
            }
            for t in tiers
        ]
    override.type = kind or (
        OverrideType.OVERWRITE
        if overwrite is not None
        else OverrideType.TIERED
        if tiers
        else OverrideType.MULTIPLIER
    )
    if override.type == OverrideType.MULTIPLIER and override.multiplier is None:
        raise reader.fail("multiplier", "is required for a MULTIPLIER override.")
    if override.type == OverrideType.OVERWRITE and overwrite is None:
        raise reader.fail("overwrite_rate", "is required for an OVERWRITE override.")
    if override.type == OverrideType.TIERED and not tiers:
        raise reader.fail("tiers", "are required for a TIERED override.")
    if not (override.product or override.applicable_product_tags or override.override_specifiers):
        raise reader.fail(
            "override_specifiers",
            "an override needs a product_id, applicable_product_tags or override_specifiers.",
        )
    override.save()
    return override


def _overwrite_rate(reader: Reader) -> dict[str, Any]:
    rate_type = reader.choice(
        "rate_type", ("FLAT", "PERCENTAGE", "SUBSCRIPTION", "TIERED", "CUSTOM"), required=True
    )
    rate: dict[str, Any] = {"rate_type": rate_type}
    if rate_type == "TIERED":
        tiers = reader.children("tiers", required=True)
        rate["tiers"] = [
            {
                "price": str(t.decimal("price", required=True, minimum=Decimal(0))),
                **({"size": str(t.decimal("size", positive=True))} if t.has("size") else {}),
            }
            for t in tiers
        ]
    elif rate_type != "CUSTOM":
        rate["price"] = str(reader.decimal("price", required=True, minimum=Decimal(0)))
    if reader.has("credit_type_id"):
        raise reader.fail("credit_type_id", "an overwrite keeps the rate's credit type.")
    for key in ("quantity", "is_prorated", "custom_rate"):
        if reader.has(key):
            rate[key] = reader.raw(key)
    return rate


def scheduled_charge_create_from_wire(reader: Reader, contract: Contract) -> ScheduledCharge:
    charge = ScheduledCharge.objects.create(
        contract=contract,
        product=product_from_wire(reader, "product_id"),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        custom_fields=reader.str_map("custom_fields"),
        netsuite_sales_order_id=external_id_from_wire(reader, "netsuite_sales_order_id"),
    )
    schedule = reader.child("schedule", required=True)
    items = schedule.children("schedule_items", required=True)  # type: ignore[union-attr]
    finalized = finalized_scheduled_invoices(contract)
    for item in items:
        moment = item.datetime("timestamp", required=True)
        moment = open_moment(item, moment, finalized, contract.ending_before)  # type: ignore[arg-type]
        amount, quantity, unit_price = priced_item(item)
        ScheduledChargeItem.objects.create(
            charge=charge,
            timestamp=moment,
            amount=amount,
            quantity=quantity,
            unit_price=unit_price,
        )
    return charge


# --- contracts -------------------------------------------------------------------------
