"""Package lengths and offsets typed and read as words (pricing/console/package_offsets.py):
"12 months", "month 2", "30 days after the start", as the package builder takes and shows them."""

import pytest

from pricing.console.package_offsets import (
    duration_words,
    parse_duration,
    parse_start,
    start_words,
)

MONTHS = "MONTHS"


# -- durations and offsets as words (no database) -----------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12 months", {"unit": MONTHS, "value": 12}),
        ("12", {"unit": MONTHS, "value": 12}),
        ("1 year", {"unit": "YEARS", "value": 1}),
        ("90 Days", {"unit": "DAYS", "value": 90}),
        ("for 2 weeks", {"unit": "WEEKS", "value": 2}),
    ],
)
def test_lengths_are_typed_as_words(typed, stored):
    assert parse_duration(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored", "words"),
    [
        ("contract start", {"unit": MONTHS, "value": 0}, "at the contract start"),
        ("month 2", {"unit": MONTHS, "value": 1}, "from month 2"),
        ("starting month 13", {"unit": MONTHS, "value": 12}, "from month 13"),
        ("after 6 months", {"unit": MONTHS, "value": 6}, "from month 7"),
        ("30 days", {"unit": "DAYS", "value": 30}, "30 days after the start"),
    ],
)
def test_starts_are_typed_and_read_as_words(typed, stored, words):
    assert parse_start(typed) == stored
    assert start_words(stored) == words


@pytest.mark.parametrize("typed", ["twelve", "P1Y", "month 0", "-3 months", "0 months"])
def test_unreadable_lengths_are_refused(typed):
    from django import forms

    with pytest.raises(forms.ValidationError):
        parse_start(typed) if typed == "month 0" else parse_duration(typed)


def test_durations_read_as_words():
    assert duration_words({"unit": "YEARS", "value": 1}) == "1 year"
    assert duration_words({"unit": MONTHS, "value": 12}) == "12 months"
