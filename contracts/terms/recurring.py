"""Recurring commits and credits: stored as given on the wire, read back in the same shape.

Each period of `frequency` from `starting_at` (to `ending_before`, or the contract's end) a
recurring commit grants `access_amount` (unit_price * quantity) and, for a commit, invoices
`invoice_amount`. Issuing the per-period commits is contracts/issuance.py's job (the periodic
task). Updates (v2 edit update_recurring_commits / update_recurring_credits) change the item in
place: commits already issued keep their terms, later periods are issued with the new ones.
"""

from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso, number
from billing_console.wire import Reader
from contracts.models import CommitKind, Contract, RecurringCommit

FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY", "DAILY")
PRORATIONS = ("NONE", "FIRST", "LAST", "FIRST_AND_LAST")
ROUNDING_METHODS = ("HALF_UP", "FLOOR", "CEILING")


def _rounding(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    return {
        "decimal_places": number(child.decimal("decimal_places", required=True)),
        "rounding_method": child.choice("rounding_method", ROUNDING_METHODS, required=True),
    }


def _access_amount(
    reader: Reader, *, contract: Contract, quantity_required: bool
) -> dict[str, Any]:
    from contracts.wire.read import access_credit_type, uuid_from_wire

    access = reader.child("access_amount", required=True)
    assert access is not None
    # The issued commits draw in this unit (issuance passes it on); refused like a commit's
    # access_schedule: QUANTITY access, an unknown id, a fiat type other than the contract's.
    access_credit_type(access, contract)
    out: dict[str, Any] = {
        "unit_price": number(access.decimal("unit_price", required=True, minimum=Decimal(0)))
    }
    quantity = access.decimal("quantity", required=quantity_required, minimum=Decimal(0))
    if quantity is not None:
        out["quantity"] = number(quantity)
    if access.has("credit_type_id"):
        out["credit_type_id"] = uuid_from_wire(
            access, "credit_type_id", access.str("credit_type_id")
        )
    if access.has("access_type"):
        out["access_type"] = "SPEND"
    return out


def credit_type_id_from_wire(reader: Reader, key: str) -> str:
    from contracts.wire.read import uuid_from_wire
    from pricing.models import CreditType

    value = uuid_from_wire(reader, key, reader.str(key, required=True))
    if not CreditType.objects.filter(public_id=value).exists():
        raise reader.fail(key, f"no credit type with id {value}.")
    return value


def _invoice_amount(reader: Reader) -> dict[str, Any] | None:
    invoice = reader.child("invoice_amount")
    if invoice is None:
        return None
    return {
        "credit_type_id": credit_type_id_from_wire(invoice, "credit_type_id"),
        "quantity": number(invoice.decimal("quantity", required=True, minimum=Decimal(0))),
        "unit_price": number(invoice.decimal("unit_price", required=True, minimum=Decimal(0))),
    }


def _subscription_config(
    reader: Reader, contract: Contract, temporary_ids: dict[str, str] | None
) -> dict[str, Any] | None:
    """subscription_config: the subscription (an id, or a temporary_id of the same payload),
    the allocation (POOLED: the amount is per seat, pooled; INDIVIDUAL: one commit per seat)."""
    from contracts.models import Subscription

    child = reader.child("subscription_config")
    if child is None:
        return None
    given = child.str("subscription_id", required=True, max_length=64)
    public_id = (temporary_ids or {}).get(given, given)
    sub = Subscription.objects.filter(
        contract=contract, public_id__in=[public_id] if _is_uuid(public_id) else []
    ).first()
    if sub is None:
        raise child.fail("subscription_id", f"no subscription {given} on this contract.")
    allocation = child.choice("allocation", ("INDIVIDUAL", "POOLED"), default="POOLED")
    if allocation == "INDIVIDUAL" and sub.quantity_management_mode != "SEAT_BASED":
        raise child.fail("allocation", "INDIVIDUAL allocation needs a SEAT_BASED subscription.")
    increase = child.child("apply_seat_increase_config", required=True)
    assert increase is not None
    prorated = increase.bool("is_prorated")
    if prorated is None:
        raise increase.fail("is_prorated", "is required.")
    return {
        "allocation": allocation,
        "apply_seat_increase_config": {"is_prorated": prorated},
        "subscription_id": str(sub.public_id),
    }


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def recurring_create_from_wire(
    reader: Reader,
    *,
    contract: Contract,
    kind: str,
    temporary_ids: dict[str, str] | None = None,
) -> RecurringCommit:
    """One recurring commit (kind PREPAID: the wire has no type for them) or recurring credit
    (kind CREDIT), validated with errors naming the field path. `temporary_ids` maps the
    temporary_id of subscriptions created in the same payload to their ids."""
    from contracts.terms.external_ids import external_id_from_wire
    from contracts.wire.read import (
        product_from_wire,
        specifiers_from_wire,
        uuid_from_wire,
        window_from_wire,
    )

    start, end = window_from_wire(reader)
    duration = reader.child("commit_duration", required=True)
    assert duration is not None
    rollover = reader.decimal("rollover_fraction", minimum=Decimal(0))
    if rollover is not None and rollover > 1:
        raise reader.fail("rollover_fraction", "must be between 0 and 1.")
    proration_rounding = None
    rounding = reader.child("proration_rounding")
    if rounding is not None:
        keys = ("access",) if kind == CommitKind.CREDIT else ("access", "invoice")
        proration_rounding = {k: v for k in keys if (v := _rounding(rounding, k)) is not None}
    subscription = _subscription_config(reader, contract, temporary_ids)
    if subscription is not None and reader.raw("recurrence_frequency") == "DAILY":
        raise reader.fail("recurrence_frequency", "DAILY cannot be used with a subscription.")
    return RecurringCommit.objects.create(
        contract=contract,
        kind=kind,
        product=product_from_wire(reader, "product_id"),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        priority=reader.decimal("priority", required=True),
        frequency=reader.choice("recurrence_frequency", FREQUENCIES),
        access_amount=_access_amount(
            reader, contract=contract, quantity_required=subscription is None
        ),
        invoice_amount=_invoice_amount(reader) if kind != CommitKind.CREDIT else None,
        commit_duration={
            "value": number(duration.decimal("value", required=True, positive=True)),
            "unit": duration.choice("unit", ("PERIODS",), default="PERIODS"),
        },
        proration=reader.choice("proration", PRORATIONS, default="FIRST_AND_LAST"),
        proration_rounding=proration_rounding,
        rate_type=reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE"), default="COMMIT_RATE"),
        rollover_fraction=rollover,
        starting_at=start,
        ending_before=end,
        applicable_product_ids=[
            uuid_from_wire(reader, "applicable_product_ids", p)
            for p in reader.str_list("applicable_product_ids")
        ],
        applicable_product_tags=reader.str_list("applicable_product_tags"),
        specifiers=specifiers_from_wire(reader, "specifiers"),
        subscription_config=subscription,
        netsuite_sales_order_id=external_id_from_wire(reader, "netsuite_sales_order_id"),
    )


def recurring_update_from_wire(reader: Reader, *, contract: Contract, kind: str) -> RecurringCommit:
    """One update_recurring_commits / update_recurring_credits item: ending_before, amounts,
    proration_rounding, rate_type. Applies to periods not issued yet."""
    from contracts.wire.read import uuid_from_wire

    id_key = "recurring_credit_id" if kind == CommitKind.CREDIT else "recurring_commit_id"
    public_id = uuid_from_wire(reader, id_key, reader.str(id_key, required=True))
    kinds = (
        (CommitKind.CREDIT,)
        if kind == CommitKind.CREDIT
        else (CommitKind.PREPAID, CommitKind.POSTPAID)
    )
    item = RecurringCommit.objects.filter(
        contract=contract, public_id=public_id, kind__in=kinds, archived_at__isnull=True
    ).first()
    if item is None:
        raise reader.fail(id_key, f"no such item on this contract: {public_id}.")
    if "ending_before" in reader.data:
        end = reader.datetime("ending_before")
        if end is not None and end <= item.starting_at:
            raise reader.fail("ending_before", "must be after the item's starting_at.")
        item.ending_before = end
    access = reader.child("access_amount")
    if access is not None:
        item.access_amount = {**item.access_amount, **_amount_update(access)}
    invoice = reader.child("invoice_amount")
    if invoice is not None:
        if kind == CommitKind.CREDIT:
            raise reader.fail("invoice_amount", "a recurring credit is not invoiced.")
        if item.invoice_amount is None:
            raise reader.fail("invoice_amount", "the recurring commit has no invoice amount.")
        item.invoice_amount = {**item.invoice_amount, **_amount_update(invoice)}
    if "proration_rounding" in reader.data:
        rounding = reader.child("proration_rounding")
        keys = ("access",) if kind == CommitKind.CREDIT else ("access", "invoice")
        item.proration_rounding = (
            {k: v for k in keys if (v := _rounding(rounding, k)) is not None} if rounding else None
        )
    if reader.has("rate_type"):
        item.rate_type = reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE"))
    item.save()
    return item


def _amount_update(reader: Reader) -> dict[str, Any]:
    out = {}
    for key in ("unit_price", "quantity"):
        value = reader.decimal(key, minimum=Decimal(0))
        if value is not None:
            out[key] = number(value)
    if not out:
        raise reader.fail("unit_price", "give unit_price or quantity.")
    return out


def recurring_to_wire(item: RecurringCommit, *, default_credit_type_id: str) -> dict[str, Any]:
    access = {"credit_type_id": default_credit_type_id, **item.access_amount}
    data: dict[str, Any] = {
        "id": str(item.public_id),
        "access_amount": access,
        "anchor_date": iso(item.starting_at),
        "commit_duration": item.commit_duration,
        "priority": number(item.priority),
        "product": {"id": str(item.product.public_id), "name": item.product.name},
        "rate_type": item.rate_type,
        "starting_at": iso(item.starting_at),
        "ending_before": iso(item.ending_before),
        "contract": {"id": str(item.contract.public_id)},
        "name": item.name or None,
        "description": item.description or None,
        "applicable_product_ids": item.applicable_product_ids or None,
        "applicable_product_tags": item.applicable_product_tags or None,
        "specifiers": item.specifiers or None,
        "invoice_amount": item.invoice_amount,
        "proration": item.proration,
        "proration_rounding": item.proration_rounding or None,
        "recurrence_frequency": item.frequency or None,
        "rollover_fraction": number(item.rollover_fraction),
        "subscription_config": item.subscription_config,
        "netsuite_sales_order_id": item.netsuite_sales_order_id or None,
    }
    return {k: v for k, v in data.items() if v is not None}
