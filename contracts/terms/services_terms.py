"""Discounts and professional services of a create (`discounts`, `professional_services`) or of
a v2 edit (`add_discounts`, `add_professional_services`): the same readers for both, so the
same term gets the same answer either way."""

from typing import Any

from billing_console.wire import Reader
from contracts.models import Contract, Discount, ProfessionalService
from contracts.terms.discounts import discount_create_from_wire, discount_to_wire
from contracts.terms.pro_services import pro_service_create_from_wire, pro_service_to_wire


def services_terms_create(
    reader: Reader, contract: Contract, *, prefix: str = ""
) -> tuple[list[Discount], list[ProfessionalService]]:
    discounts = [
        discount_create_from_wire(item, contract) for item in reader.children(f"{prefix}discounts")
    ]
    services = [
        pro_service_create_from_wire(item, contract)
        for item in reader.children(f"{prefix}professional_services")
    ]
    return discounts, services


def services_terms_added(
    contract: Contract, reader: Reader, changes: dict[str, Any], wire: dict[str, Any]
) -> None:
    """A v2 edit's add_discounts and add_professional_services, recorded in its changes (ids)
    and its wire (as the SDK's ContractEditResponse names them: add_discounts,
    add_pro_services)."""
    discounts, services = services_terms_create(reader, contract, prefix="add_")
    if discounts:
        changes["add_discounts"] = [str(d.public_id) for d in discounts]
        wire["add_discounts"] = [discount_to_wire(d) for d in discounts]
    if services:
        changes["add_professional_services"] = [str(s.public_id) for s in services]
        wire["add_pro_services"] = [pro_service_to_wire(s) for s in services]
