"""The shared CSV writer: formula-like text neutralised, numbers left alone. No database."""

import csv
import io
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from billing_console.lib import csv_safe
from billing_console.lib.csv_safe import safe_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3", "'-2+3"),
        ("-", "'-"),
        ("-inf", "'-inf"),
        ("-80 USD", "'-80 USD"),
        ("- 80", "'- 80"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        # plain numbers written as text stay numbers
        ("-80", "-80"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-.5", "-.5"),
        ("-1.5E-7", "-1.5E-7"),
        # nothing to neutralise
        ("Acme", "Acme"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        ('{"name": "=x"}', '{"name": "=x"}'),
        # only text is judged: numbers of any sign, and other values, pass as they are
        (-80, -80),
        (Decimal("-0.5"), Decimal("-0.5")),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_safe_cell(cell, expected):
    assert safe_cell(cell) == expected


def test_the_writer_neutralises_every_row_and_returns_what_csv_returns():
    out = io.StringIO()
    writer = csv_safe.writer(out)
    written = writer.writerow(["=1+1", -80, "-80", "ok"])
    writer.writerows([["@x", Decimal("-0.50")], ["+", "tab\t"]])
    assert written == len("'=1+1,-80,-80,ok\r\n")
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "-80", "-80", "ok"],
        ["'@x", "-0.50"],
        ["'+", "tab\t"],
    ]


_CSV_WRITER_CALL = re.compile(
    r"\bcsv\.(writer|DictWriter)\(|from csv import .*\b(writer|DictWriter)\b"
)
_NOT_OURS = {"node_modules", "sdk_node", "staticfiles", "var", "migrations"}
_ALLOWED = {Path("billing_console/lib/csv_safe.py"), Path("billing_console/tests/test_csv_safe.py")}


def _project_modules() -> Iterator[Path]:
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if d not in _NOT_OURS and d[0] != "."]
        for name in files:
            if name.endswith(".py"):
                yield Path(directory, name).relative_to(ROOT)


def test_every_csv_writer_in_the_project_is_the_shared_one():
    offenders = [
        str(path)
        for path in _project_modules()
        if path not in _ALLOWED and _CSV_WRITER_CALL.search((ROOT / path).read_text("utf-8"))
    ]
    assert offenders == [], "write CSV with billing_console.lib.csv_safe.writer"
