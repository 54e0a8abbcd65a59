"""Recurring commits and credits: stored as given on the wire, read back in the same shape.

Each period of `frequency` from `starting_at` (to `ending_before`, or the contract's end) a
recurring commit grants `access_amount` (unit_price * quantity) and, for a commit, invoices
`invoice_amount`. Issuing the per-period commits is the periodic task's job (not built yet).
"""

from decimal import Decimal
from typing import Any

from billing_console.wire import Reader
from contracts.models import CommitKind, Contract, RecurringCommit

FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY", "DAILY")
PRORATIONS = ("NONE", "FIRST", "LAST", "FIRST_AND_LAST")
ROUNDING_METHODS = ("HALF_UP", "FLOOR", "CEILING")


def _json_number(value: Decimal | None) -> int | float | None:
    from contracts.wire import number

    return number(value)


def _rounding(reader: Reader, key: str) -> dict[str, Any] | None:
    child = reader.child(key)
    if child is None:
        return None
    return {
        "decimal_places": _json_number(child.decimal("decimal_places", required=True)),
        "rounding_method": child.choice("rounding_method", ROUNDING_METHODS, required=True),
    }


def _access_amount(reader: Reader, *, quantity_required: bool) -> dict[str, Any]:
    access = reader.child("access_amount", required=True)
    assert access is not None
    out: dict[str, Any] = {
        "unit_price": _json_number(access.decimal("unit_price", required=True, minimum=Decimal(0)))
    }
    quantity = access.decimal("quantity", required=quantity_required, minimum=Decimal(0))
    if quantity is not None:
        out["quantity"] = _json_number(quantity)
    if access.has("credit_type_id"):
        out["credit_type_id"] = _credit_type_id(access, "credit_type_id")
    if access.has("access_type"):
        out["access_type"] = access.choice("access_type", ("SPEND", "QUANTITY"))
    return out


def _credit_type_id(reader: Reader, key: str) -> str:
    from contracts.services import _uuid
    from pricing.models import CreditType

    value = _uuid(reader, key, reader.str(key, required=True))
    if not CreditType.objects.filter(public_id=value).exists():
        raise reader.fail(key, f"no credit type with id {value}.")
    return value


def _invoice_amount(reader: Reader) -> dict[str, Any] | None:
    invoice = reader.child("invoice_amount")
    if invoice is None:
        return None
    return {
        "credit_type_id": _credit_type_id(invoice, "credit_type_id"),
        "quantity": _json_number(invoice.decimal("quantity", required=True, minimum=Decimal(0))),
        "unit_price": _json_number(
            invoice.decimal("unit_price", required=True, minimum=Decimal(0))
        ),
    }


def recurring_create_from_wire(reader: Reader, *, contract: Contract, kind: str) -> RecurringCommit:
    """One recurring commit (kind PREPAID: the wire has no type for them) or recurring credit
    (kind CREDIT), validated with errors naming the field path."""
    from contracts.services import _product, _specifiers, _uuid, _window

    start, end = _window(reader)
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
    subscription = reader.child("subscription_config")
    return RecurringCommit.objects.create(
        contract=contract,
        kind=kind,
        product=_product(reader, "product_id"),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        priority=reader.decimal("priority", required=True),
        frequency=reader.choice("recurrence_frequency", FREQUENCIES),
        access_amount=_access_amount(reader, quantity_required=subscription is None),
        invoice_amount=_invoice_amount(reader) if kind != CommitKind.CREDIT else None,
        commit_duration={
            "value": _json_number(duration.decimal("value", required=True, positive=True)),
            "unit": duration.choice("unit", ("PERIODS",), default="PERIODS"),
        },
        proration=reader.choice("proration", PRORATIONS, default="FIRST_AND_LAST"),
        proration_rounding=proration_rounding,
        rate_type=reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE"), default="COMMIT_RATE"),
        rollover_fraction=rollover,
        starting_at=start,
        ending_before=end,
        applicable_product_ids=[
            _uuid(reader, "applicable_product_ids", p)
            for p in reader.str_list("applicable_product_ids")
        ],
        applicable_product_tags=reader.str_list("applicable_product_tags"),
        specifiers=_specifiers(reader, "specifiers"),
        subscription_config=subscription.data if subscription is not None else None,
    )


def recurring_to_wire(item: RecurringCommit, *, default_credit_type_id: str) -> dict[str, Any]:
    from contracts.wire import iso, number

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
    }
    return {k: v for k, v in data.items() if v is not None}
