"""events_publish: many events at once (the month close's invoice.finalized), each key once,
a delivery per subscribed endpoint, post_save sent for each new event as save() would, and a
key another transaction published in the meantime left as it is."""

from unittest import mock

import pytest
from django.db.models.signals import post_save

from webhooks import services
from webhooks.models import Delivery, OutboundEvent
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db


def test_each_new_key_is_recorded_once_with_a_delivery_per_subscribed_endpoint(
    django_capture_on_commit_callbacks,
):
    with receiver([200]) as one, receiver([200]) as two, receiver([200]) as other:
        first = services.endpoint_create(url=one.url)
        second = services.endpoint_create(url=two.url, event_types=["invoice.*"])
        services.endpoint_create(url=other.url, event_types=["alerts.*"])
    services.event_publish("invoice.finalized", {"n": 0}, key="a")
    saved = []

    def on_save(sender, instance, created, **kwargs):
        saved.append((instance.key, created, instance.pk is not None))

    post_save.connect(on_save, sender=OutboundEvent, dispatch_uid="test.publish_many")
    try:
        with django_capture_on_commit_callbacks() as enqueued:
            new = services.events_publish(
                "invoice.finalized",
                [("a", {"n": 9}), ("b", {"n": 1}), ("c", {"n": 2}), ("b", {"n": 99})],
            )
    finally:
        post_save.disconnect(dispatch_uid="test.publish_many", sender=OutboundEvent)
    assert new == 2
    assert saved == [("b", True, True), ("c", True, True)]
    payloads = dict(OutboundEvent.objects.values_list("key", "payload"))
    assert payloads == {"a": {"n": 0}, "b": {"n": 1}, "c": {"n": 2}}
    for key in "bc":
        endpoints = Delivery.objects.filter(event__key=key).values_list("endpoint", flat=True)
        assert sorted(endpoints) == sorted([first.pk, second.pk])
    assert len(enqueued) == 4  # one task message per new delivery, on commit


def test_a_key_published_meanwhile_by_another_transaction_is_left_as_it_is():
    services.event_publish("invoice.finalized", {"n": 0}, key="a")
    unseen = OutboundEvent.objects.none()
    with mock.patch.object(OutboundEvent.objects, "filter", return_value=unseen):
        new = services.events_publish("invoice.finalized", [("a", {"n": 9}), ("b", {"n": 1})])
    assert new == 1  # the insert of both failed on "a"; then one by one
    payloads = dict(OutboundEvent.objects.values_list("key", "payload"))
    assert payloads == {"a": {"n": 0}, "b": {"n": 1}}
