"""A threshold evaluation that fails charges nothing and says so on the contract's page; the
next one that succeeds charges the crossing and clears it."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from contracts.models import ThresholdCharge
from invoicing.tasks import contract_thresholds_evaluate_task
from invoicing.tests.factories import recharge_world, send_calls

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_failed_recharge_is_shown_on_the_contract_and_cleared_once_charged(
    client, dave, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        world = recharge_world()
        with (
            mock.patch("invoicing.thresholds._charge", side_effect=RuntimeError("boom")),
            django_capture_on_commit_callbacks(execute=True),  # the evaluation runs on commit
        ):
            send_calls(840, timezone.now() - timedelta(minutes=5))  # 800 left < 1,000
        assert not ThresholdCharge.objects.exists()
        contract = world.contract
        contract.refresh_from_db()
        assert contract.threshold_error == (
            "internal error (RuntimeError); details are in the server log."
        )
        assert contract.threshold_error_at == NOW

        client.force_login(dave)
        page = client.get(reverse("contracts:contract-detail", args=[contract.public_id])).text
        assert "Not charged: the last evaluation failed" in page
        assert "internal error (RuntimeError)" in page

        assert contract_thresholds_evaluate_task(contract.pk) == 1  # the sweep, later
        contract.refresh_from_db()
        assert (contract.threshold_error, contract.threshold_error_at) == ("", None)
        assert ThresholdCharge.objects.count() == 1
