"""Writers that take a dataset's rows batch by batch: CSV, and Parquet (one row group a batch).

CSV cells: amounts as plain decimals without trailing zeros ("1250", "0.125"), timestamps in
RFC 3339 UTC ("2026-01-05T00:00:00Z"), JSON columns as compact JSON, empty for null; text a
spreadsheet would run as a formula gets a leading quote (billing_console.lib.csv_safe).
"""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from billing_console.lib import csv_safe
from reports.datasets.base import BOOL, DATETIME, DECIMAL, INT, JSON, Column

PARQUET_DECIMAL_SCALE = 12  # a RateField holds 12 decimal places
_QUANTUM = Decimal(1).scaleb(-PARQUET_DECIMAL_SCALE)


def plain_decimal(value: Decimal) -> str:
    if value == 0:
        return "0"
    return f"{value.normalize():f}"


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == DECIMAL:
        return plain_decimal(Decimal(value))
    if kind == DATETIME:
        return rfc3339(value)
    if kind == JSON:
        return _json(value)
    if kind == BOOL:
        return "true" if value else "false"
    return str(value)


class Writer(Protocol):
    def write(self, rows: list[tuple]) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    """`header`: the first row when it is not the column names (a report's "total (USD)")."""

    def __init__(
        self, path: Path, columns: tuple[Column, ...], header: list[str] | None = None
    ) -> None:
        self.kinds = [column.kind for column in columns]
        self.file = path.open("w", newline="", encoding="utf-8")
        self.csv = csv_safe.writer(self.file)
        self.csv.writerow(header or [column.name for column in columns])

    def write(self, rows: list[tuple]) -> None:
        kinds = self.kinds
        self.csv.writerows(
            [csv_cell(value, kind) for value, kind in zip(row, kinds, strict=True)] for row in rows
        )

    def close(self) -> None:
        self.file.close()


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        DECIMAL: pa.decimal128(38, PARQUET_DECIMAL_SCALE),
        DATETIME: pa.timestamp("us", tz="UTC"),
        INT: pa.int64(),
        BOOL: pa.bool_(),
    }.get(kind, pa.string())


def _arrow_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == DECIMAL:
        return Decimal(value).quantize(_QUANTUM)
    if kind == JSON:
        return _json(value)
    if kind in (DATETIME, INT, BOOL):
        return value
    return str(value)


class ParquetWriter:
    """Typed columns: amounts decimal128(38, 12), timestamps in UTC, JSON as strings."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.columns = columns
        self.schema = pa.schema([pa.field(c.name, _arrow_type(c.kind)) for c in columns])
        self.writer = pq.ParquetWriter(str(path), self.schema)

    def write(self, rows: list[tuple]) -> None:
        import pyarrow as pa

        if not rows:
            return
        arrays = [
            pa.array([_arrow_value(row[i], column.kind) for row in rows], type=field.type)
            for i, (column, field) in enumerate(zip(self.columns, self.schema, strict=True))
        ]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


WRITERS = {"csv": CsvWriter, "parquet": ParquetWriter}


def open_writer(fmt: str, path: Path, columns: tuple[Column, ...]) -> Writer:
    return WRITERS[fmt](path, columns)
