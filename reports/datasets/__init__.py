"""The named datasets a report or an export can take out, in the order the console lists them."""

from reports.datasets.base import Batch, Column, Dataset, Filters
from reports.datasets.contract_terms import RESELLER_ROYALTIES, SPEND_TRACKERS
from reports.datasets.contracts import COMMITS_AND_CREDITS, CONTRACTS, CUSTOMER_CONTRACTS
from reports.datasets.customers import CUSTOMERS
from reports.datasets.invoices import INVOICE_BREAKDOWNS, INVOICE_LINE_ITEMS, INVOICES
from reports.datasets.major_units import with_major_units
from reports.datasets.netsuite import with_invoice_netsuite, with_line_netsuite

COMMIT_AMOUNTS = ("access_amount", "invoiced_amount", "available_balance", "remaining_balance")
# Every amount column gets its major-unit twin (`total` cents as on the API, `total_major`
# dollars) and a `currency` column names the unit (reports.datasets.major_units).
DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        with_major_units(with_invoice_netsuite(INVOICES), "subtotal", "total"),
        with_major_units(
            with_line_netsuite(INVOICE_LINE_ITEMS), "unit_price", "total_unrounded", "total"
        ),
        with_major_units(INVOICE_BREAKDOWNS, "total_unrounded", "total"),
        with_major_units(CONTRACTS, "total_contract_value"),
        with_major_units(SPEND_TRACKERS, "accumulated_spend"),
        with_major_units(RESELLER_ROYALTIES, "reseller_contract_value"),
        with_major_units(COMMITS_AND_CREDITS, *COMMIT_AMOUNTS),
        CUSTOMERS,
        with_major_units(CUSTOMER_CONTRACTS, "billed_total"),
    )
}
DATASET_CHOICES = [(dataset.name, dataset.label) for dataset in DATASETS.values()]

__all__ = ["DATASETS", "DATASET_CHOICES", "Batch", "Column", "Dataset", "Filters"]
