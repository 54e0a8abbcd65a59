"""Professional services from the wire (`professional_services[]` of a create,
`add_professional_services[]` of a v2 edit) and back.

A professional service is a term, not a charge: nothing is invoiced until
POST /v1/contracts/scheduleProServicesInvoice bills some of it (invoicing/pro_services.py), at
most `max_amount` in all. Its product must be a PRO_SERVICE product. Amounts are in the
contract's credit type unit (USD cents by default).
"""

from decimal import Decimal
from typing import Any

from billing_console.custom_fields import custom_fields_validate
from billing_console.lib.wire_values import number
from billing_console.wire import Reader
from contracts.models import Contract, ProfessionalService
from contracts.wire.read import product_from_wire

NOT_PRO_SERVICE = "must be a PRO_SERVICE product (this one is {type})."


def pro_service_create_from_wire(reader: Reader, contract: Contract) -> ProfessionalService:
    zero = Decimal(0)
    product = product_from_wire(reader, "product_id")
    if product.type != "PRO_SERVICE":  # type: ignore[union-attr]
        raise reader.fail("product_id", NOT_PRO_SERVICE.format(type=product.type))  # type: ignore[union-attr]
    service = ProfessionalService(
        contract=contract,
        product=product,
        max_amount=reader.decimal("max_amount", required=True, minimum=zero),
        quantity=reader.decimal("quantity", required=True, minimum=zero),
        unit_price=reader.decimal("unit_price", required=True, minimum=zero),
        description=reader.str("description"),
        custom_fields=reader.str_map("custom_fields"),
        netsuite_sales_order_id=reader.str("netsuite_sales_order_id", max_length=255),
    )
    if service.custom_fields:
        custom_fields_validate(entity="professional_service", values=service.custom_fields)
    service.save()
    return service


def pro_service_to_wire(service: ProfessionalService) -> dict[str, Any]:
    """The SDK's shared ProService."""
    data = {
        "id": str(service.public_id),
        "product_id": str(service.product.public_id),
        "max_amount": number(service.max_amount),
        "quantity": number(service.quantity),
        "unit_price": number(service.unit_price),
        "description": service.description or None,
        "custom_fields": service.custom_fields,
        "netsuite_sales_order_id": service.netsuite_sales_order_id or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def contract_pro_services(contract: Contract) -> list[ProfessionalService]:
    return list(contract.professional_services.select_related("product").order_by("pk"))
