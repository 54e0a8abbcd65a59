"""Rows of a console form that a person adds and removes (a commit's access and invoice schedule
items, its specifiers), without script: each row is a set of plain fields, row 0 under the
fields' own names ("amount") and row i under "amount_i", so a one-row form posts what it always
did. "Add a row" and "Remove" are submit buttons named `row_action` ("add:access",
"remove:access:2"): the form comes back with the rows changed and nothing sent, through htmx
(which posts the clicked button's value) or a plain POST alike."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

ROW_ACTION = "row_action"


@dataclass(frozen=True)
class RowSet:
    name: str  # "access": the row buttons' value and the rows' CSS hook
    fields: Mapping[str, Callable[[], forms.Field]]  # row 0's field name -> a new field
    max_rows: int = 12


def row_key(name: str, index: int) -> str:
    return name if index == 0 else f"{name}_{index}"


def rows_posted(data: Mapping[str, Any], rows: RowSet) -> int:
    """How many rows the posted data holds (its highest row's index + 1), at least 1."""
    count = 1
    for index in range(1, rows.max_rows):
        if any(row_key(name, index) in data for name in rows.fields):
            count = index + 1
    return count


def apply_row_action(
    action: str, values: dict[str, Any], counts: dict[str, int], rowsets: tuple[RowSet, ...]
) -> None:
    """Add a row at the end of a set, or remove one (the rows after it move up); in place."""
    verb, _, rest = action.partition(":")
    set_name, _, index_text = rest.partition(":")
    rows = next((r for r in rowsets if r.name == set_name), None)
    if rows is None:
        return
    count = counts[rows.name]
    if verb == "add":
        counts[rows.name] = min(count + 1, rows.max_rows)
        return
    if verb != "remove" or not index_text.isdigit() or count <= 1:
        return
    removed = int(index_text)
    for index in range(removed, count - 1):
        for name in rows.fields:
            values[row_key(name, index)] = values.get(row_key(name, index + 1))
    for name in rows.fields:
        values.pop(row_key(name, count - 1), None)
    counts[rows.name] = count - 1


def filled(values: Mapping[str, Any], rows: RowSet, index: int) -> bool:
    """Whether a person typed anything in the row (a blank row is left out)."""
    return any(values.get(row_key(name, index)) not in (None, "", [], {}) for name in rows.fields)


def group_values(text: str) -> dict[str, str]:
    """'region=us-east-1, tier=batch' -> {'region': 'us-east-1', 'tier': 'batch'}."""
    values = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(f"'{part}' is not key=value.")
        values[key.strip()] = value.strip()
    return values


def word_list(text: str) -> list[str]:
    """'tokens, batch' -> ['tokens', 'batch']."""
    return [t.strip() for t in (text or "").split(",") if t.strip()]
