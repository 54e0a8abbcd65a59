"""Usage writes: the public entry point other apps and tests import from.

The code lives by concern: reading one event (the checks, the inline and field-by-field
readings) in `usage.event_reading`, ingesting a batch (validated whole, deduplicated, atomic)
in `usage.ingest`, and billable metrics in `usage.billable_metrics`."""

from usage.billable_metrics import (
    billable_metric_archive,
    billable_metric_create,
    billable_metric_set_name,
)
from usage.event_reading import (
    DEDUPE_WINDOW,
    MAX_FUTURE,
    MAX_PROPERTIES,
    MAX_PROPERTY_KEY,
    MAX_PROPERTY_NUMBER,
    MAX_PROPERTY_TEXT,
    CommonEvent,
)
from usage.ingest import (
    INGEST_OPEN_SQL,
    MAX_EVENTS,
    IngestResult,
    NotCommonForm,
    TokenNotLive,
    event_keys_filter_build,
    event_keys_prune,
    event_keys_rotate,
    usage_ingest,
)
from usage.models import AggregationType

__all__ = [
    "DEDUPE_WINDOW",
    "INGEST_OPEN_SQL",
    "MAX_EVENTS",
    "MAX_FUTURE",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_KEY",
    "MAX_PROPERTY_NUMBER",
    "MAX_PROPERTY_TEXT",
    "AggregationType",
    "CommonEvent",
    "IngestResult",
    "NotCommonForm",
    "TokenNotLive",
    "billable_metric_archive",
    "billable_metric_create",
    "billable_metric_set_name",
    "event_keys_filter_build",
    "event_keys_prune",
    "event_keys_rotate",
    "usage_ingest",
]
