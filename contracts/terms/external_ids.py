"""Links to other systems that Metronome's contracts carry: the Salesforce opportunity and
NetSuite sales order ids of a contract, of its commits, credits, scheduled charges and recurring
items (whose NetSuite id passes down to the commits they issue), and the contract's total value.

Kept and read back as sent, and exported with the contract (reports/datasets/contracts.py).
This server syncs with neither Salesforce nor NetSuite, and Metronome documents none of them as
sent to Stripe, so the Stripe invoices it creates do not carry them.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction

from billing_console.lib.wire_values import number
from billing_console.wire import Reader
from contracts.models import Contract

MAX_LENGTH = 255  # the model fields' length; Salesforce ids are 15 or 18 characters


def external_id_from_wire(reader: Reader, key: str) -> str:
    """An id of another system as sent ("" when not sent or null: a null in an update clears)."""
    return reader.str(key, max_length=MAX_LENGTH)


def contract_external_ids_from_wire(reader: Reader) -> dict[str, Any]:
    """The Contract fields of a /v1/contracts/create body."""
    return {
        "salesforce_opportunity_id": external_id_from_wire(reader, "salesforce_opportunity_id"),
        "netsuite_sales_order_id": external_id_from_wire(reader, "netsuite_sales_order_id"),
        # In the contract's credit type unit (USD cents), as Metronome takes it.
        "total_contract_value": reader.decimal("total_contract_value", minimum=Decimal(0)),
    }


def contract_external_ids_to_wire(contract: Contract) -> dict[str, Any]:
    return {
        "salesforce_opportunity_id": contract.salesforce_opportunity_id or None,
        "netsuite_sales_order_id": contract.netsuite_sales_order_id or None,
        "total_contract_value": number(contract.total_contract_value),
    }


@transaction.atomic
def contract_external_ids_set(
    *, contract: Contract, salesforce_opportunity_id: str, netsuite_sales_order_id: str
) -> Contract:
    """Set (or clear, with "") a contract's Salesforce and NetSuite ids: the console's edit.
    Metronome's v2 edit has no field for them, so this is no recorded edit; the audit log keeps
    the change and who made it."""
    reader = Reader(
        {
            "salesforce_opportunity_id": salesforce_opportunity_id,
            "netsuite_sales_order_id": netsuite_sales_order_id,
        }
    )
    contract.salesforce_opportunity_id = external_id_from_wire(reader, "salesforce_opportunity_id")
    contract.netsuite_sales_order_id = external_id_from_wire(reader, "netsuite_sales_order_id")
    contract.save(
        update_fields=["salesforce_opportunity_id", "netsuite_sales_order_id", "updated_at"]
    )
    return contract
