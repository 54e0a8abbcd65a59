"""The customers list's billing columns (spend this period, open drafts): a hook, because they
are read from invoices and contracts, which sit above customers in the layer order. reports
registers the provider when the app loads (reports/apps.py); customers imports neither.

Without a provider (an installation without reports) the columns are empty and sorting by
them keeps the default order."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import QuerySet

Money = tuple[Any, Decimal]  # (credit type, amount in its stored unit: USD cents)
FIGURES = ("spend", "drafts")  # the columns, also their sort keys


class ListFigures(Protocol):
    def with_sort_keys(self, customers: QuerySet, now: datetime) -> QuerySet:
        """`customers` annotated with `spend_sort` and `drafts_sort` (numbers to order by)."""
        ...

    def figures(self, customers: Iterable[Any], now: datetime) -> dict[int, dict[str, list[Money]]]:
        """customer pk -> {"spend": [...], "drafts": [...]}, in a fixed number of queries."""
        ...


_provider: list[ListFigures] = []


def list_figures_register(provider: ListFigures) -> None:
    _provider[:] = [provider]


def list_figures_provider() -> ListFigures | None:
    return _provider[0] if _provider else None
