"""Aligned debounce windows: a key is due once per window, the countdown runs to its end."""

from datetime import UTC, datetime, timedelta

import time_machine
from pytest import approx

from billing_console.lib.debounce import Debouncer

START = datetime(2026, 12, 1, 9, 0, 0, 250_000, tzinfo=UTC)  # a quarter into a 1 s window


def test_a_key_is_due_once_per_window():
    debouncer = Debouncer()
    with time_machine.travel(START, tick=False) as clock:
        assert debouncer.due(["a", "b"], 1) == (["a", "b"], approx(0.75))
        clock.shift(timedelta(milliseconds=500))
        assert debouncer.due(["b", "c", "c"], 1) == (["c"], approx(0.25))
        clock.shift(timedelta(milliseconds=300))  # the next window
        assert debouncer.due(["a", "c"], 1) == (["a", "c"], approx(0.95))


def test_clear_closes_the_window():
    debouncer = Debouncer()
    with time_machine.travel(START, tick=False):
        debouncer.due(["a"], 1)
        debouncer.clear()
        assert debouncer.due(["a"], 1)[0] == ["a"]
