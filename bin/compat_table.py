"""Regenerate the README's Metronome compatibility table.

An SDK method is ✅ when a test in this repository calls it through the official SDK client
(the `sdk` fixture: `sdk.v1....(`). The list of methods comes from the wire contract
(shared/metronome-api.md, next to this repository). Run: .venv/bin/python bin/compat_table.py
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT.parent / "shared" / "metronome-api.md"
BEGIN, END = "<!-- compat:begin -->", "<!-- compat:end -->"
ROW = re.compile(r"^\| (client\.[\w.]+) \| (\w+) \| (\S+) \|")
CALL = re.compile(r"\bsdk\.((?:v1|v2)\.[\w.]+)\(")
# `schedules = sdk.v1.customers.named_schedules` then `schedules.update(...)`
ALIAS = re.compile(r"\b(\w+) = sdk\.((?:v1|v2)\.[\w.]+)\s*$", re.MULTILINE)


def exercised() -> set[str]:
    names: set[str] = set()
    for path in ROOT.glob("*/tests/**/*.py"):
        text = path.read_text()
        names.update(f"client.{m}" for m in CALL.findall(text))
        for alias, resource in ALIAS.findall(text):
            for method in re.findall(rf"\b{alias}\.(\w+)\(", text):
                names.add(f"client.{resource}.{method}")
    return names


def table() -> str:
    done = exercised()
    rows = ["| SDK method | HTTP | path | status |", "|---|---|---|---|"]
    total = implemented = 0
    for line in CONTRACT.read_text().splitlines():
        match = ROW.match(line)
        if not match:
            continue
        method, http, path = match.groups()
        total += 1
        ok = method in done
        implemented += ok
        rows.append(
            f"| `{method}` | {http} | `{path.strip('`')}` | {'✅' if ok else '— not yet'} |"
        )
    summary = f"{implemented} of {total} SDK methods are implemented and tested through the SDK."
    return "\n".join([summary, "", *rows])


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text:
        sys.exit(f"README.md has no {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table()}\n{END}{tail}")
    print(table().splitlines()[0])


if __name__ == "__main__":
    main()
