"""Accepted means honoured: which request fields of an endpoint the server honours, and a 400
for the ones it does not.

Each endpoint that takes a Metronome-shaped body keeps a `Fields` in its app's wire_fields
module: every field path of the SDK's request type is either honoured (with the test that shows
it stored, billed or shown as Metronome documents it) or refused (why). The service that reads
the body calls `refuse_unsupported` first, so a refused field is a 400 naming its path and
nothing is written; contracts/tests/test_no_silent_drop.py checks the lists against the SDK's
request TypedDicts, so a field the SDK gains cannot be accepted and silently dropped.

Paths are dotted, `[]` marking list items: `commits[].access_schedule.schedule_items[].amount`.
A refused path stands for everything under it. A honoured field may refuse some of its values
(`Honoured(test, refused_values={...})`): the ones whose behaviour is not built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from billing_console.api import ApplicationError


@dataclass(frozen=True)
class Honoured:
    test: str  # "module::test_function" that shows the field stored, billed or shown
    refused_values: Mapping[str, str] = field(default_factory=dict)  # value -> why


@dataclass(frozen=True)
class Fields:
    honoured: Mapping[str, Honoured] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)  # path -> why, after "path: "

    def __add__(self, other: Fields) -> Fields:
        for mine, theirs in ((self.honoured, other.honoured), (self.refused, other.refused)):
            if twice := sorted(set(mine) & set(theirs)):
                raise ValueError(f"listed twice: {twice}")
        return Fields({**self.honoured, **other.honoured}, {**self.refused, **other.refused})

    def under(self, prefix: str) -> Fields:
        """The same fields below `prefix` (a path such as "add_commits[]")."""
        return Fields(
            {f"{prefix}.{path}": entry for path, entry in self.honoured.items()},
            {f"{prefix}.{path}": why for path, why in self.refused.items()},
        )

    def naming(self, test: str, *, keep: tuple[str, ...] = ()) -> Fields:
        """The same fields, each honoured one naming `test` (the test that shows them where
        they are mounted) unless the test it names is one of `keep`."""
        return Fields(
            {
                path: entry if entry.test in keep else Honoured(test, entry.refused_values)
                for path, entry in self.honoured.items()
            },
            self.refused,
        )


def honour(test: str, *paths: str, refused_values: Mapping[str, str] | None = None) -> Fields:
    return Fields(honoured={p: Honoured(test, refused_values or {}) for p in paths})


def refuse(why: str, *paths: str) -> Fields:
    return Fields(refused=dict.fromkeys(paths, why))


def sent(data: Any, pattern: str, path: str = "") -> Iterator[tuple[str, Any]]:
    """(concrete path, value) of each place `pattern` names in `data` that holds a value: not
    null, not an empty list or object (those send nothing to honour). A shape other than the
    pattern's is left to the readers, which report it."""
    if not pattern:
        if data is not None and data != [] and data != {}:
            yield path, data
        return
    head, _, rest = pattern.partition(".")
    key, many = (head[:-2], True) if head.endswith("[]") else (head, False)
    if not isinstance(data, dict) or data.get(key) is None:
        return
    name = f"{path}.{key}" if path else key
    if not many:
        yield from sent(data[key], rest, name)
    elif isinstance(data[key], list):
        for index, item in enumerate(data[key]):
            yield from sent(item, rest, f"{name}[{index}]")


def refuse_unsupported(data: Any, fields: Fields) -> None:
    """A 400 naming the first refused field (or refused value) `data` sends."""
    for pattern, why in fields.refused.items():
        for path, _value in sent(data, pattern):
            raise ApplicationError(f"{path}: {why}")
    for pattern, entry in fields.honoured.items():
        if not entry.refused_values:
            continue
        for path, value in sent(data, pattern):
            if isinstance(value, str) and value in entry.refused_values:
                why = entry.refused_values[value]
                raise ApplicationError(f"{path}: {json.dumps(value)} {why}")
