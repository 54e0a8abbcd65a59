"""A report's first rows, shown in the console before it is built: the chosen columns with the
headers and cell text the CSV will have. Read at once, within the report query budget, in a
transaction of its own (PostgreSQL: the timeout stays local to it)."""

import logging
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from billing_console.api import ApplicationError
from billing_console.db_budget import time_budget
from reports.datasets.major_units import report_header
from reports.params import column_indexes, filters_from_params, report_params_read
from reports.writers import csv_cell

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class Preview:
    header: list[str]
    rows: list[list[str]]
    limit: int

    @property
    def complete(self) -> bool:
        """Whether these are all the report's rows (fewer than the preview holds)."""
        return len(self.rows) < self.limit


def report_preview(*, dataset: str, params: dict[str, Any], limit: int = PREVIEW_ROWS) -> Preview:
    """The first `limit` rows the report would write; ApplicationError naming a bad field."""
    chosen, clean = report_params_read(dataset, params)
    indexes = column_indexes(chosen, clean)
    kinds = [column.kind for column in chosen.columns]
    header = report_header(chosen)
    rows: list[list[str]] = []
    try:
        with transaction.atomic(), time_budget(settings.REPORT_QUERY_TIMEOUT_MS):
            filters = filters_from_params(clean)
            with closing(chosen.batches(filters, limit)) as batches:
                for batch in batches:
                    rows.extend([csv_cell(row[i], kinds[i]) for i in indexes] for row in batch.rows)
                    if len(rows) >= limit:
                        break
    except DatabaseError as err:
        logger.warning("report preview over budget or failed: %s", err)
        raise ApplicationError(
            "dataset: the preview ran over the report query budget; narrow the filters."
        ) from err
    return Preview([header[i] for i in indexes], rows[:limit], limit)
