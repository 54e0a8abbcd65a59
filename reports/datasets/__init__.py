"""The named datasets a report or an export can take out, in the order the console lists them."""

from reports.datasets.base import Batch, Column, Dataset, Filters
from reports.datasets.contracts import COMMITS_AND_CREDITS, CONTRACTS, CUSTOMER_CONTRACTS
from reports.datasets.customers import CUSTOMERS
from reports.datasets.invoices import INVOICE_BREAKDOWNS, INVOICE_LINE_ITEMS, INVOICES

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        INVOICES,
        INVOICE_LINE_ITEMS,
        INVOICE_BREAKDOWNS,
        CONTRACTS,
        COMMITS_AND_CREDITS,
        CUSTOMERS,
        CUSTOMER_CONTRACTS,
    )
}
DATASET_CHOICES = [(dataset.name, dataset.label) for dataset in DATASETS.values()]

__all__ = ["DATASETS", "DATASET_CHOICES", "Batch", "Column", "Dataset", "Filters"]
