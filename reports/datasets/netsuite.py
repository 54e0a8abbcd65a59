"""NetSuite columns of the invoice datasets, added a batch at a time (a few queries per batch,
not per row): the ids the API and Stripe carry (invoicing/netsuite.py), derived from the line's
product, commit and contract, and a professional service line's NetSuite billing dates."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.models import Contract
from invoicing.models import LineItem
from invoicing.netsuite import BILLING_KEYS, LineRef, line_netsuite_ids
from reports.datasets.base import DATETIME, STR, Batch, Column, Dataset, Filters

LINE_ID_COLUMNS = ("netsuite_item_id", "commit_netsuite_item_id", "commit_netsuite_sales_order_id")


def _sales_orders(contract_ids: set[str]) -> dict[str, str]:
    rows = Contract.objects.filter(public_id__in=contract_ids).values_list(
        "public_id", "netsuite_sales_order_id"
    )
    return {str(pk): value for pk, value in rows}


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def with_invoice_netsuite(dataset: Dataset) -> Dataset:
    """`invoices` plus the contract's netsuite_sales_order_id."""
    index = dataset.header.index("contract_id")
    inner = dataset.batches

    def batches(filters: Filters, chunk_size: int) -> Iterator[Batch]:
        for batch in inner(filters, chunk_size):
            orders = _sales_orders({row[index] for row in batch.rows})
            rows = [(*row, orders.get(row[index]) or None) for row in batch.rows]
            yield Batch(rows, batch.units)

    columns = (*dataset.columns, Column("netsuite_sales_order_id", STR))
    return replace(dataset, columns=columns, batches=batches)


def with_line_netsuite(dataset: Dataset) -> Dataset:
    """`invoice_line_items` plus each line's NetSuite ids, its contract's sales order and its
    NetSuite billing dates."""
    names = dataset.header
    at = {name: names.index(name) for name in (
        "line_item_id", "contract_id", "type", "product_id", "starting_at", "commit_id")}  # fmt: skip
    inner = dataset.batches

    def batches(filters: Filters, chunk_size: int) -> Iterator[Batch]:
        for batch in inner(filters, chunk_size):
            refs = [
                LineRef(
                    row[at["product_id"]],
                    row[at["commit_id"]],
                    row[at["type"]],
                    row[at["starting_at"]],
                )
                for row in batch.rows
            ]
            ids = line_netsuite_ids(refs)
            orders = _sales_orders({row[at["contract_id"]] for row in batch.rows})
            explanations = dict(
                LineItem.objects.filter(
                    public_id__in=[row[at["line_item_id"]] for row in batch.rows]
                ).values_list("public_id", "explanation")
            )
            rows = []
            for row, line_ids in zip(batch.rows, ids, strict=True):
                explanation = explanations.get(_uuid(row[at["line_item_id"]])) or {}
                rows.append((
                    *row, *(line_ids.get(name) for name in LINE_ID_COLUMNS),
                    orders.get(row[at["contract_id"]]) or None,
                    *(_moment(explanation.get(key)) for key in BILLING_KEYS),
                ))  # fmt: skip
            yield Batch(rows, batch.units)

    columns = (
        *dataset.columns, *(Column(name, STR) for name in LINE_ID_COLUMNS),
        Column("netsuite_sales_order_id", STR),
        *(Column(key, DATETIME) for key in BILLING_KEYS),
    )  # fmt: skip
    return replace(dataset, columns=columns, batches=batches)


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)
