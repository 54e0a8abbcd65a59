"""Reseller royalties from the wire (`reseller_royalties[]` of a create, `add_reseller_royalties[]`
of a v2 edit) and back.

A royalty is the reseller's share (`fraction`) of what the products it applies to bill while
it is in force: reporting data for the reseller's books (NetSuite, the marketplace). It never
changes what the customer is billed. Each item sent is one segment of its reseller type; the
segments of one type may not overlap (this server does not amend a segment: one added by an
edit is given whole, as a create gives it). Invoices show the royalty their lines fall under
(invoicing/royalties.py).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_console.lib.wire_values import iso, number
from billing_console.wire import Reader
from contracts.models import Contract, ResellerRoyalty
from contracts.wire.read import uuid_from_wire, window_from_wire

RESELLER_TYPES = ("AWS", "AWS_PRO_SERVICE", "GCP", "GCP_PRO_SERVICE")
OPTION_KEYS = {
    "aws_options": ("aws_account_number", "aws_offer_id", "aws_payer_reference_id"),
    "gcp_options": ("gcp_account_id", "gcp_offer_id"),
}
SCOPE = "give applicable_product_ids or applicable_product_tags (at least one)."
OVERLAP = (
    "overlaps the {type} royalty from {start}: the segments of one reseller type follow one "
    "another (this server does not amend a segment)."
)
OTHER_RESELLER = "is for {kind} royalties; this one is {type}."


def _product_ids(reader: Reader) -> list[str]:
    from pricing.models import Product

    ids = [
        uuid_from_wire(reader, "applicable_product_ids", value)
        for value in reader.str_list("applicable_product_ids")
    ]
    known = {str(i) for i in Product.objects.filter(public_id__in=ids).values_list("public_id", flat=True)}  # fmt: skip
    for value in ids:
        if value not in known:
            raise reader.fail("applicable_product_ids", f"no product with id {value}.")
    return ids


def _options(reader: Reader, key: str, reseller_type: str) -> dict[str, str]:
    child = reader.child(key)
    if child is None:
        return {}
    kind = key.split("_")[0].upper()
    if not reseller_type.startswith(kind):
        raise reader.fail(key, OTHER_RESELLER.format(kind=kind, type=reseller_type))
    return {k: child.str(k, max_length=255) for k in OPTION_KEYS[key] if child.has(k)}


def _check_overlap(
    reader: Reader, contract: Contract, reseller_type: str, start: datetime, end: datetime | None
) -> None:
    for other in contract.reseller_royalties.filter(reseller_type=reseller_type):
        if (end is None or other.starting_at < end) and (
            other.ending_before is None or start < other.ending_before
        ):
            why = OVERLAP.format(type=reseller_type, start=iso(other.starting_at))
            raise reader.fail("starting_at", why)


def royalty_create_from_wire(reader: Reader, contract: Contract) -> ResellerRoyalty:
    reseller_type = reader.choice("reseller_type", RESELLER_TYPES, required=True)
    fraction = reader.decimal("fraction", required=True, minimum=Decimal(0))
    assert fraction is not None
    if fraction > 1:
        raise reader.fail("fraction", "must be between 0 and 1.")
    netsuite_reseller_id = reader.str("netsuite_reseller_id", required=True, max_length=255)
    start, end = window_from_wire(reader)
    product_ids = _product_ids(reader)
    tags = reader.str_list("applicable_product_tags")
    if not product_ids and not tags:
        raise reader.fail("applicable_product_ids", SCOPE)
    value = reader.decimal("reseller_contract_value", minimum=Decimal(0))
    options = {key: _options(reader, key, reseller_type) for key in OPTION_KEYS}
    _check_overlap(reader, contract, reseller_type, start, end)
    return ResellerRoyalty.objects.create(
        contract=contract,
        reseller_type=reseller_type,
        fraction=fraction,
        netsuite_reseller_id=netsuite_reseller_id,
        starting_at=start,
        ending_before=end,
        applicable_product_ids=product_ids,
        applicable_product_tags=tags,
        reseller_contract_value=value,
        **options,
    )


def reseller_royalties_create(reader: Reader, contract: Contract, key: str) -> list[ResellerRoyalty]:  # fmt: skip
    return [royalty_create_from_wire(item, contract) for item in reader.children(key)]


def contract_royalties(contract: Contract) -> list[ResellerRoyalty]:
    return list(contract.reseller_royalties.order_by("starting_at", "pk"))


def royalty_to_wire(royalty: ResellerRoyalty) -> dict[str, Any]:
    """One segment, flat, as the SDK's v1 ResellerRoyalty, ContractV2 segment and edit response
    carry it (aws_options and gcp_options as their own fields)."""
    data = {
        "reseller_type": royalty.reseller_type,
        "fraction": number(royalty.fraction),
        "netsuite_reseller_id": royalty.netsuite_reseller_id,
        "starting_at": iso(royalty.starting_at),
        "ending_before": iso(royalty.ending_before),
        "applicable_product_ids": royalty.applicable_product_ids or None,
        "applicable_product_tags": royalty.applicable_product_tags or None,
        "reseller_contract_value": number(royalty.reseller_contract_value),
        **royalty.aws_options,
        **royalty.gcp_options,
    }
    return {k: v for k, v in data.items() if v is not None}


def royalties_by_type_to_wire(royalties: list[ResellerRoyalty]) -> list[dict[str, Any]]:
    """ContractV2.reseller_royalties: one entry per reseller type, its segments in order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for royalty in royalties:
        groups.setdefault(royalty.reseller_type, []).append(royalty_to_wire(royalty))
    return [{"reseller_type": kind, "segments": segments} for kind, segments in groups.items()]


def royalty_applies(royalty: ResellerRoyalty, product_id: str, tags: list[str], at: datetime) -> bool:  # fmt: skip
    """Whether the royalty covers a product (by id or tag) at `at`."""
    if at < royalty.starting_at or (royalty.ending_before and at >= royalty.ending_before):
        return False
    return product_id in royalty.applicable_product_ids or bool(
        set(tags) & set(royalty.applicable_product_tags)
    )


def royalty_on_invoice(royalty: ResellerRoyalty) -> dict[str, Any]:
    """The SDK Invoice's reseller_royalty (its fraction a decimal string)."""
    data: dict[str, Any] = {
        "fraction": format(royalty.fraction.normalize(), "f"),
        "netsuite_reseller_id": royalty.netsuite_reseller_id,
        "reseller_type": royalty.reseller_type,
    }
    for key in OPTION_KEYS:
        if getattr(royalty, key):
            data[key] = dict(getattr(royalty, key))
    return data
