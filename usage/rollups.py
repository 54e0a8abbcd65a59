"""Hourly and daily rollups of billable metrics, so invoices, usage queries and alerts do not
rescan raw events.

Ingest stays one short transaction: it stores the events and a PendingRollup row with their
ids. The rollup job (`rollups_advance`, on the beat schedule) consumes pending rows and adds
their events to MetricRollup (per hour) and MetricRollupDay (per UTC day) in the same
transaction, so each event is rolled up exactly once. Readers (`rollup_usage`) combine daily
rows for whole days, hourly rows for the whole hours around them, and the raw events of partial
hours at the edges and of batches still pending, and retry if the job ran while they read.

Rolled up: structured metrics aggregating COUNT, SUM, MAX or LATEST. UNIQUE and SQL metrics are
computed from raw events. A new metric is backfilled (`rollups_backfill`) before readers use its
rollups (`BillableMetric.rollup_ready`).

This module is the entry point other apps and tests import from. The code lives by concern:
what a rollup holds (the Cell, which metrics roll up by which keys) in `usage.rollup_cells`,
the job that writes rollups in `usage.rollup_writes`, and their readers in `usage.rollup_reads`.
"""

from usage.rollup_cells import ROLLED_UP, Cell, CellKey, rollable, rollup_keys
from usage.rollup_reads import DAY, HOUR, RollupRow, rollup_usage, rollup_usage_many
from usage.rollup_writes import (
    CHUNK,
    pending_record,
    rollups_advance,
    rollups_backfill,
)

__all__ = [
    "CHUNK",
    "DAY",
    "HOUR",
    "ROLLED_UP",
    "Cell",
    "CellKey",
    "RollupRow",
    "pending_record",
    "rollable",
    "rollup_keys",
    "rollup_usage",
    "rollup_usage_many",
    "rollups_advance",
    "rollups_backfill",
]
