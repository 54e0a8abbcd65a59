"""Alert evaluation failures beyond one alert's measurement: a state that cannot be written, or
a customer that cannot be measured at all, are recorded on the alerts (shown in the console)
and the other alerts still move."""

from datetime import timedelta
from unittest import mock

import pytest

from alerts import evaluation
from alerts.evaluation import customer_alerts_evaluate
from alerts.models import CustomerAlert
from alerts.services import alert_create
from alerts.tests.factories import MID_JAN, send_calls, spend_world

pytestmark = pytest.mark.django_db
FAILED = "internal error (RuntimeError); details are in the server log."


def _alert(world, name: str, threshold: int):
    return alert_create(data={"alert_type": "spend_threshold_reached", "name": name,
                              "threshold": threshold, "customer_id": str(world.customer.public_id)})  # fmt: skip


def _state(alert, customer) -> CustomerAlert:
    return CustomerAlert.objects.get(alert=alert, customer=customer, scope="")


def test_an_alert_whose_state_cannot_be_written_is_recorded_and_the_others_move():
    world = spend_world(price=100)
    failing, other = _alert(world, "Failing", 1000), _alert(world, "Other", 500)
    send_calls(6, MID_JAN)
    real = evaluation._alert_apply

    def apply(alert, *args, **kwargs):
        if alert.pk == failing.pk:
            raise RuntimeError("state")
        return real(alert, *args, **kwargs)

    with mock.patch.object(evaluation, "_alert_apply", side_effect=apply):
        customer_alerts_evaluate(customer=world.customer, triggered_by="usage",
                                 now=MID_JAN + timedelta(minutes=1))  # fmt: skip
    assert _state(failing, world.customer).error == FAILED
    assert _state(other, world.customer).status == "in_alarm"  # 600 > 500


def test_a_customer_that_cannot_be_measured_says_so_on_each_alert():
    world = spend_world(price=100)
    first, second = _alert(world, "First", 1000), _alert(world, "Second", 500)
    with mock.patch.object(evaluation, "CustomerSnapshot", side_effect=RuntimeError("snapshot")):
        assert customer_alerts_evaluate(customer=world.customer, triggered_by="usage",
                                        now=MID_JAN) == 0  # fmt: skip
    assert _state(first, world.customer).error == FAILED
    assert _state(second, world.customer).error == FAILED
    customer_alerts_evaluate(customer=world.customer, triggered_by="usage", now=MID_JAN)
    assert _state(first, world.customer).error == ""  # measured again
