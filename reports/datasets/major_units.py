"""Every amount of a report twice: as on the API, and as people read money.

A dataset's amount columns (`total`) hold the credit type's stored unit, as Metronome's wire
does: USD in cents, named row by row by the `credit_type` column ("USD (cents)"). They stay, for
parity with the API. Beside each one a `<name>_major` column holds the same amount in the
currency's major unit (dollars; a custom unit's amounts are not converted), and a `currency`
column after `credit_type` names that unit ("USD", "EUR", "GPU hours").

A report's CSV header names the unit in the major columns' headers: "total (USD)" when every
credit type amounts are kept in uses one currency, else "total (in currency)", read with the
`currency` column. Exports (machines) keep the stable names: `total_major`.
"""

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db.models import Q

from billing_console.lib.money_text import to_major, unit_label
from contracts.models import Commit, Contract
from invoicing.models import Invoice
from pricing.models import USD_CENTS_ID, CreditType, RateCard
from reports.datasets.base import DECIMAL, STR, Batch, Column, Dataset, Filters

UNIT_COLUMN = "credit_type"  # each row's credit type, by name
CURRENCY_COLUMN = "currency"
MAJOR_SUFFIX = "_major"


def with_major_units(dataset: Dataset, *amounts: str) -> Dataset:
    """`dataset` with a `currency` column and a major-unit column after each of `amounts`."""
    names = [column.name for column in dataset.columns]
    missing = [name for name in (UNIT_COLUMN, *amounts) if name not in names]
    assert not missing, f"{dataset.name}: no column {missing}"
    unit_index = names.index(UNIT_COLUMN)
    amount_indexes = {names.index(name) for name in amounts}
    columns: list[Column] = []
    for index, column in enumerate(dataset.columns):
        columns.append(column)
        if index == unit_index:
            columns.append(Column(CURRENCY_COLUMN, STR))
        if index in amount_indexes:
            columns.append(Column(column.name + MAJOR_SUFFIX, DECIMAL))
    inner = dataset.batches

    def batches(filters: Filters, chunk_size: int) -> Iterator[Batch]:
        types = {ct.name: ct for ct in CreditType.objects.all()}  # a small table: read once
        for batch in inner(filters, chunk_size):
            rows = [_widened(row, unit_index, amount_indexes, types) for row in batch.rows]
            yield Batch(rows, batch.units)

    return replace(dataset, columns=tuple(columns), batches=batches)


def _widened(
    row: tuple, unit_index: int, amount_indexes: set[int], types: dict[str, CreditType]
) -> tuple:
    credit_type = types.get(row[unit_index])
    out: list[Any] = []
    for index, value in enumerate(row):
        out.append(value)
        if index == unit_index:
            out.append(unit_label(credit_type) if credit_type is not None else value)
        if index in amount_indexes:
            out.append(
                to_major(Decimal(value), credit_type)
                if value is not None and credit_type is not None
                else value
            )
    return tuple(out)


def units_in_use() -> list[str]:
    """The units report amounts can be in: of invoices, of contracts' rate cards (USD when a
    contract has none), and of custom-unit commits."""
    cards = RateCard.objects.filter(pk__in=Contract.objects.values("rate_card"))
    used = (
        Q(pk__in=Invoice.objects.values("credit_type"))
        | Q(pk__in=cards.values("fiat_credit_type"))
        | Q(pk__in=Commit.objects.values("access_credit_type"))
    )
    if Contract.objects.filter(rate_card=None).exists():
        used |= Q(public_id=USD_CENTS_ID)
    return sorted({unit_label(credit_type) for credit_type in CreditType.objects.filter(used)})


def report_header(dataset: Dataset) -> list[str]:
    """The CSV header of a report: each major-unit column named with its unit."""
    units = units_in_use()
    unit = units[0] if len(units) == 1 else "in currency"
    names = {column.name for column in dataset.columns}
    header = []
    for column in dataset.columns:
        amount = column.name.removesuffix(MAJOR_SUFFIX)
        is_major = column.name.endswith(MAJOR_SUFFIX) and amount in names
        header.append(f"{amount} ({unit})" if is_major else column.name)
    return header
