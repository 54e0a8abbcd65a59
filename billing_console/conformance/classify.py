"""Each test's record -> one class; the classes per method and pass -> the table and the verdict.
The policy (which classes fail the gate) is in the package's docstring."""

import json
import re
from collections import Counter
from pathlib import Path

from billing_console.conformance.sdist import method_of

# SDK methods the API does not have yet: their route 404s (or 405s) are "not yet implemented",
# not failures. Shrink to zero; a method here that answers fails the gate until it is removed.
KNOWN_MISSING: frozenset[str] = frozenset()

OK, SKIPPED = "ok", "skipped"
PLACEHOLDER_404, ENTITY_404, ROUTE_404 = "404 placeholder id", "404 entity", "route 404"
NOT_ALLOWED, BAD_REQUEST, UNNAMED_400 = "405", "400", "400 naming no field"
CONFLICT, OTHER_4XX, SERVER_ERROR = "409", "other 4xx", "5xx"
SHAPE, ERROR = "response shape", "error"
NOT_YET, NOW_IMPLEMENTED = "not yet implemented", "now implemented: remove from KNOWN_MISSING"
FAILING = frozenset(
    {ROUTE_404, NOT_ALLOWED, UNNAMED_400, OTHER_4XX, SERVER_ERROR, SHAPE, ERROR, NOW_IMPLEMENTED}
)
ORDER = [
    SERVER_ERROR, NOW_IMPLEMENTED, ROUTE_404, NOT_ALLOWED, SHAPE, ERROR, UNNAMED_400, OTHER_4XX,
    BAD_REQUEST, CONFLICT, ENTITY_404, NOT_YET, PLACEHOLDER_404, OK, SKIPPED,
]  # fmt: skip
SHAPE_ERRORS = {"APIResponseValidationError", "ValidationError", "AssertionError"}
FIELD_NAMED = re.compile(r"^[A-Za-z_][\w.\[\]]*: ")
PLACEHOLDERS, REAL_IDS = "placeholder ids", "real ids"


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _message(record: dict) -> str:
    last = record.get("last", {})
    return last.get("message") or last.get("body", "")


def classify(record: dict, real_ids: bool) -> str:
    """The class of one test's outcome (before KNOWN_MISSING is applied)."""
    if record["outcome"] == "passed":
        return OK
    if record["outcome"] == "skipped":
        return SKIPPED
    status = record.get("status")
    if status is None:
        return SHAPE if SHAPE_ERRORS & set(record.get("exc", [])) else ERROR
    last = record.get("last", {})
    if status == 404:
        is_json = "json" in last.get("content_type", "")
        if not is_json or _message(record).startswith("No endpoint at"):
            return ROUTE_404
        return ENTITY_404 if real_ids else PLACEHOLDER_404
    if status == 405:
        return NOT_ALLOWED
    if status in (400, 422):
        return BAD_REQUEST if FIELD_NAMED.match(_message(record)) else UNNAMED_400
    if status == 409:
        return CONFLICT
    return SERVER_ERROR if status >= 500 else OTHER_4XX


def classified(records: list[dict], real_ids: bool) -> list[tuple[str, str, dict]]:
    """(method, class, record) per test, with KNOWN_MISSING applied per method."""
    rows = [(method_of(r["nodeid"])[0], classify(r, real_ids), r) for r in records]
    answered = {
        method
        for method, cls, record in rows
        if method in KNOWN_MISSING and "last" in record and cls not in (ROUTE_404, NOT_ALLOWED)
    }
    out = []
    for method, cls, record in rows:
        if method in answered and "last" in record:
            cls = NOW_IMPLEMENTED
        elif method in KNOWN_MISSING and cls in (ROUTE_404, NOT_ALLOWED):
            cls = NOT_YET
        out.append((method, cls, record))
    return out


def _summary(counter: Counter) -> str:
    return ", ".join(f"{cls} {counter[cls]}" for cls in ORDER if counter[cls]) or "-"


def report(passes: dict[str, list[tuple[str, str, dict]]], out) -> bool:
    """Print the table, the counts and the details; True when the gate passes."""
    per: dict[str, dict[str, Counter]] = {}
    for name, rows in passes.items():
        for method, cls, _ in rows:
            per.setdefault(method, {}).setdefault(name, Counter())[cls] += 1
    names = list(passes)
    width = max(len(m) for m in per) if per else 10
    print(f"{'SDK method':<{width}}  " + "  |  ".join(names), file=out)
    for method in sorted(per):
        cells = [_summary(per[method].get(name, Counter())) for name in names]
        print(f"{method:<{width}}  " + "  |  ".join(cells), file=out)
    print("\nCounts per class (tests):", file=out)
    for name in names:
        counter = Counter(cls for _, cls, _ in passes[name])
        print(f"  {name}: {_summary(counter)}", file=out)
    failures, reported = [], []
    for name, rows in passes.items():
        for method, cls, record in rows:
            last = record.get("last", {})
            why = _message(record) if "status" in record else record.get("message", "")
            line = (
                f"  [{name}] {cls}: {method} {record['nodeid'].split('::')[-1]} "
                f"{last.get('http', '')} {record.get('status', '')} {why[:300]}"
            ).rstrip()
            if cls in FAILING:
                failures.append(line)
            elif cls in (BAD_REQUEST, CONFLICT) or (cls == ENTITY_404 and name == REAL_IDS):
                reported.append(line)
    if reported:
        print(f"\nReported, not failing ({len(reported)}):", file=out)
        print("\n".join(reported), file=out)
    if failures:
        print(f"\nFailing the gate ({len(failures)}):", file=out)
        print("\n".join(failures), file=out)
    return not failures
