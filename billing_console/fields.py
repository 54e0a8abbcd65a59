"""The only Django-aware money code: database fields for amounts and rates."""

from typing import Any

from django.db import models


class AmountField(models.DecimalField):
    """An amount already quantized to its credit type (e.g. invoice totals)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 19)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)


class RateField(models.DecimalField):
    """Unit prices, quantities and unrounded amounts: wide and precise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 28)
        kwargs.setdefault("decimal_places", 12)
        super().__init__(*args, **kwargs)
