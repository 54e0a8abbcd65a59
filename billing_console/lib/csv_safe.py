"""The one CSV writer of the project: cells a spreadsheet would run as a formula are neutralised.

CSV (formula) injection, OWASP rule: a spreadsheet reads a cell that begins with `=`, `+`, `-`
or `@` as a formula (`=HYPERLINK("http://x")` in a customer name, `=cmd|...` in a User-Agent),
and a leading tab or carriage return can hide such a cell. A cell that begins with one of these
six characters is written with a single quote in front, which spreadsheets show as text.

Which cells:
- only `str` cells. Numbers (int, Decimal, float) are written as they are, negative ones too;
- a `str` that is a plain number, such as "-80", "-0.5", "+3" or "-1.5E-7", is left as it is:
  writers that format amounts themselves (reports) pass them as text, and they must stay numbers.
  A plain number is an optional sign, ASCII digits with at most one decimal point, and an
  optional exponent, nothing else; anything more ("-1+2", "-80 USD", "- 80") is neutralised.

Everything CSV writes should come through `writer()` (a test walks the project for other
`csv.writer` / `csv.DictWriter` calls). Pure Python, no Django.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """`value`, with a single quote in front when it is text a spreadsheet would run."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """csv.writer's writerow/writerows, each cell through `safe_cell`; returns what they return
    (the streamed audit export yields the written line)."""

    def __init__(self, file: Any, **fmtparams: Any) -> None:
        self._writer = csv.writer(file, **fmtparams)

    @property
    def dialect(self) -> Any:
        return self._writer.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self._writer.writerows(safe_row(row) for row in rows)


def writer(file: Any, **fmtparams: Any) -> SafeWriter:
    """Use as csv.writer(file, **fmtparams)."""
    return SafeWriter(file, **fmtparams)
