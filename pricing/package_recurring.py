"""A package's recurring commits and credits, validated as /v1/packages/create takes them."""

from decimal import Decimal
from typing import Any

from billing_console.wire import Reader
from pricing.package_fields import (
    RATE_TYPES,
    TermIds,
    put,
    read_credit_type_id,
    read_number,
    read_offset,
    read_product_id,
    read_rounding,
)
from pricing.wire_input import BILLING_FREQUENCIES


def recurring_terms(terms: TermIds, reader: Reader, *, credit: bool) -> dict[str, Any]:
    access = reader.child("access_amount", required=True)
    duration = reader.child("commit_duration", required=True)
    assert access is not None and duration is not None
    out: dict[str, Any] = {
        "product_id": read_product_id(reader, "product_id"),
        "priority": read_number(reader, "priority", required=True),
        "starting_at_offset": read_offset(reader, "starting_at_offset", required=True),
        "access_amount": {
            "unit_price": read_number(access, "unit_price", required=True, minimum=Decimal(0))
        },
        "commit_duration": {"value": read_number(duration, "value", required=True, positive=True)},
    }
    put(out["commit_duration"], "unit", duration.choice("unit", ("PERIODS",)))
    put(
        out["access_amount"],
        "quantity",
        read_number(
            access,
            "quantity",
            minimum=Decimal(0),
            required=not reader.has("subscription_config"),
        ),
    )
    put(out["access_amount"], "credit_type_id", read_credit_type_id(access, "credit_type_id"))
    put(out["access_amount"], "access_type", access.choice("access_type", ("SPEND", "QUANTITY")))
    if not credit:
        invoice = reader.child("invoice_amount")
        if invoice is not None:
            out["invoice_amount"] = {
                "credit_type_id": read_credit_type_id(invoice, "credit_type_id", required=True),
                "quantity": read_number(invoice, "quantity", required=True, minimum=Decimal(0)),
                "unit_price": read_number(invoice, "unit_price", required=True, minimum=Decimal(0)),
            }
    terms.applicability(reader, out)
    put(out, "description", reader.str("description"))
    put(out, "name", reader.str("name", max_length=200))
    put(out, "duration", read_offset(reader, "duration", positive=True))
    put(
        out,
        "proration",
        reader.choice("proration", ("NONE", "FIRST", "LAST", "FIRST_AND_LAST")),
    )
    rounding = reader.child("proration_rounding")
    if rounding is not None:
        out["proration_rounding"] = {}
        for key in ("access", "invoice") if not credit else ("access",):
            put(out["proration_rounding"], key, read_rounding(rounding, key))
    put(out, "rate_type", reader.choice("rate_type", RATE_TYPES))
    put(
        out,
        "recurrence_frequency",
        reader.choice("recurrence_frequency", (*BILLING_FREQUENCIES, "DAILY")),
    )
    put(
        out,
        "rollover_fraction",
        read_number(reader, "rollover_fraction", minimum=Decimal(0), maximum=Decimal(1)),
    )
    config = reader.child("subscription_config")
    if config is not None:
        subscription_id = config.str("subscription_id", required=True)
        if subscription_id not in terms.subscription_ids:
            raise config.fail(
                "subscription_id",
                f"no subscription of this package has temporary_id '{subscription_id}'.",
            )
        seat = config.child("apply_seat_increase_config", required=True)
        assert seat is not None
        prorated = seat.bool("is_prorated")
        if prorated is None:
            raise seat.fail("is_prorated", "is required.")
        out["subscription_config"] = {
            "subscription_id": subscription_id,
            "apply_seat_increase_config": {"is_prorated": prorated},
        }
        put(
            out["subscription_config"],
            "allocation",
            config.choice("allocation", ("INDIVIDUAL", "POOLED")),
        )
    put(out, "temporary_id", terms.temporary_id(reader, terms.recurring_ids))
    return out
