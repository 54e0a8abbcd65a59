"""Sent after ingested events are committed (alerts re-evaluate the customers concerned)."""

from django.dispatch import Signal

events_ingested = Signal()  # kwargs: customer_ids (set of the ids/aliases the events named)
