"""Billable metric writes: create (validated by usage.metrics, backfilled when rollups can
answer it), rename, archive."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from usage.metrics import metric_validate
from usage.models import BillableMetric
from usage.rollup_cells import rollable


@transaction.atomic
def billable_metric_create(
    *,
    name: str,
    event_type_filter: dict[str, Any] | None = None,
    property_filters: list[dict[str, Any]] | None = None,
    aggregation_type: str | None = None,
    aggregation_key: str | None = None,
    group_keys: list[list[str]] | None = None,
    sql: str | None = None,
    custom_fields: dict[str, str] | None = None,
) -> BillableMetric:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a billable metric needs a name.")
    cleaned = metric_validate(
        event_type_filter=event_type_filter, property_filters=property_filters, aggregation_type=aggregation_type,
        aggregation_key=aggregation_key, group_keys=group_keys, sql=sql,
    )  # fmt: skip
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="billable_metric", values=custom_fields)
    metric = BillableMetric.objects.create(name=name[:200], custom_fields=custom_fields, **cleaned)
    if rollable(metric):
        from usage.tasks import metric_backfill

        transaction.on_commit(lambda: metric_backfill.delay(metric.pk))
    return metric


@transaction.atomic
def billable_metric_archive(*, metric: BillableMetric) -> BillableMetric:
    from pricing.models import ProductVersion

    in_use = ProductVersion.objects.filter(
        billable_metric=metric, product__archived_at__isnull=True
    ).first()
    if in_use is not None:
        raise ApplicationError(
            f"id: the billable metric is used by product '{in_use.name}'; archive the product first."
        )
    if metric.archived_at is None:
        metric.archived_at = timezone.now()
        metric.save(update_fields=["archived_at", "updated_at"])
    return metric


@transaction.atomic
def billable_metric_set_name(*, metric: BillableMetric, name: str) -> BillableMetric:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a billable metric needs a name.")
    metric.name = name[:200]
    metric.save(update_fields=["name", "updated_at"])
    return metric
