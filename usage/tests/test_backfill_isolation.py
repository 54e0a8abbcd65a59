"""The sweep that builds the rollups of new metrics: one metric that fails waits, with its error
on its page, and the metrics after it are still built."""

from unittest import mock

import pytest
from django.urls import reverse

from usage import rollups
from usage.models import BillableMetric
from usage.services import billable_metric_create
from usage.tasks import BACKFILL_FAILED, metrics_backfill_missing

pytestmark = pytest.mark.django_db


def test_a_failing_metric_waits_with_its_error_and_the_next_one_is_built(client, dave):
    first = billable_metric_create(name="a calls", aggregation_type="COUNT")
    second = billable_metric_create(name="b calls", aggregation_type="COUNT")
    BillableMetric.objects.update(rollup_ready=False)  # as if created while no worker ran
    real = rollups.rollups_backfill

    def backfill(*, metric):
        if metric.pk == first.pk:
            raise RuntimeError("disk full")
        return real(metric=metric)

    with mock.patch.object(rollups, "rollups_backfill", side_effect=backfill):
        assert metrics_backfill_missing() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.rollup_ready, second.error) == (True, "")
    assert not first.rollup_ready
    assert first.error == f"{BACKFILL_FAILED}RuntimeError: disk full"
    assert first.error_at is not None

    client.force_login(dave)
    page = client.get(reverse("usage:metric-detail", args=[first.public_id])).text
    assert "This metric's usage is not ready" in page
    assert "still billed, read from the raw events" in page
    assert "RuntimeError: disk full" in page

    assert metrics_backfill_missing() == 1  # the next pass, once it can
    first.refresh_from_db()
    assert (first.rollup_ready, first.error, first.error_at) == (True, "", None)
