"""The CSV writer of reports and exports: formula-like text neutralised, amounts left as numbers.
No database."""

from datetime import UTC, datetime
from decimal import Decimal

from reports.datasets.base import columns
from reports.tests.factories import read_csv
from reports.writers import CsvWriter


def test_formula_like_text_is_neutralised_and_negative_amounts_are_not(tmp_path):
    path = tmp_path / "out.csv"
    writer = CsvWriter(path, columns("name total:decimal count:int note at:datetime extra:json"))
    writer.write([
        ('=HYPERLINK("http://x")', Decimal("-80.0000"), -3, "-0.5",
         datetime(2026, 1, 5, tzinfo=UTC), {"memo": "=cmd"}),
        ("@SUM(A1)", Decimal("-0.5"), 0, "-80 USD", None, None),
        ("Acme", Decimal("1250"), 2, "+", None, None),
    ])  # fmt: skip
    writer.close()
    assert [tuple(row.values()) for row in read_csv(path)] == [
        ('\'=HYPERLINK("http://x")', "-80", "-3", "-0.5", "2026-01-05T00:00:00Z",
         '{"memo":"=cmd"}'),
        ("'@SUM(A1)", "-0.5", "0", "'-80 USD", "", ""),
        ("Acme", "1250", "2", "'+", "", ""),
    ]  # fmt: skip
