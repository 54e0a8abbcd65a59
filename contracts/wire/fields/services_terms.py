"""Discounts and professional services: their fields as a create (`discounts[]`,
`professional_services[]`) and a v2 edit (`add_discounts[]`, `add_professional_services[]`)
take them, and the fields of POST /v1/contracts/scheduleProServicesInvoice, each honoured
(naming the test that shows it) or refused (billing_console/wire_fields.py)."""

from billing_console.wire_fields import honour, refuse

SERVICES = "contracts.tests.test_services_terms::"
CREATE_TRIP = SERVICES + "test_create_reads_back_discounts_and_pro_services_as_sent"
EDIT_TRIP = SERVICES + "test_edit_adds_discounts_and_pro_services_as_create_does"
INVOICE_TRIP = SERVICES + "test_pro_services_invoice_through_the_sdk"
SCHEDULED = "invoicing.tests.test_scheduled_terms::"
DISCOUNT_BILLED = SCHEDULED + "test_a_discount_takes_its_amount_off_the_scheduled_invoice"
RECURRING_BILLED = SCHEDULED + "test_a_recurring_discount_divides_its_amount_to_the_cent"
PRO = "invoicing.tests.test_pro_services::"
PRO_BILLED = PRO + "test_pro_services_invoice_to_the_cent"
MAX_TEST = PRO + "test_invoicing_past_the_max_amount_is_a_400_naming_the_field"

DISCOUNT_UNIT = "is not supported yet: discounts are in the contract's fiat credit type."
DISCOUNT_INVOICED = (
    "is not supported: every discount is invoiced (do_not_invoice is for commit invoice schedules)."
)
NETSUITE_HEADER = "is not supported yet: this server keeps no NetSuite invoice header."

DISCOUNT = (
    honour(
        DISCOUNT_BILLED,
        "name",
        "product_id",
        "schedule",
        "schedule.schedule_items",
        "schedule.schedule_items[].amount",
        "schedule.schedule_items[].quantity",
        "schedule.schedule_items[].timestamp",
        "schedule.schedule_items[].unit_price",
    )
    + honour(
        RECURRING_BILLED,
        *(
            f"schedule.recurring_schedule{tail}"
            for tail in (
                "",
                ".amount",
                ".amount_distribution",
                ".ending_before",
                ".frequency",
                ".quantity",
                ".starting_at",
                ".unit_price",
            )
        ),
    )
    + honour(CREATE_TRIP, "custom_fields", "netsuite_sales_order_id")
    + refuse(DISCOUNT_UNIT, "schedule.credit_type_id")
    + refuse(DISCOUNT_INVOICED, "schedule.do_not_invoice")
)
PRO_SERVICE = (
    honour(PRO_BILLED, "product_id", "quantity", "unit_price")
    + honour(MAX_TEST, "max_amount")
    + honour(CREATE_TRIP, "custom_fields", "description", "netsuite_sales_order_id")
)

# -- on /v1/contracts/create and /v2/contracts/edit -------------------------------------------
ON_CREATE = (
    honour(CREATE_TRIP, "discounts", "professional_services")
    + DISCOUNT.under("discounts[]")
    + PRO_SERVICE.under("professional_services[]")
)
ON_EDIT = (
    honour(EDIT_TRIP, "add_discounts", "add_professional_services")
    + DISCOUNT.naming(EDIT_TRIP).under("add_discounts[]")
    + PRO_SERVICE.naming(EDIT_TRIP).under("add_professional_services[]")
)

# -- /v1/contracts/scheduleProServicesInvoice -------------------------------------------------
PRO_SERVICES_INVOICE = (
    honour(
        INVOICE_TRIP,
        "contract_id",
        "customer_id",
        "issued_at",
        "line_items",
        "line_items[].amendment_id",
        "line_items[].metadata",
        "line_items[].netsuite_invoice_billing_end",
        "line_items[].netsuite_invoice_billing_start",
        "line_items[].professional_service_id",
        "line_items[].quantity",
        "line_items[].unit_price",
    )
    + honour(PRO_BILLED, "line_items[].amount")
    + refuse(NETSUITE_HEADER, "netsuite_invoice_header_end", "netsuite_invoice_header_start")
)
