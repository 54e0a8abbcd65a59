"""Audit diffs with money as people read it: "price: $25.00 → $30.00", not "2500 → 3000".

django-auditlog records a row's columns as stored (USD amounts in cents). The console's audit
page and its CSV show the amount columns named here in the major unit of the row's credit
type, found through the live row. The API (/v1/auditLogs) keeps the stored values, as the rest
of the wire does. A deleted row has no credit type left to read: its amounts stay as stored.
"""

import ast
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Model, QuerySet

from billing_console.lib.money_text import format_money, shown_terms
from pricing.products import credit_type_get_default
from reports.audit_log import entries_to_wire

# model label -> (money columns, paths to the row's credit type, tried in order). A row none of
# whose paths gives a credit type is in the default one (USD), as a contract without a rate card.
MONEY_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pricing.rate": (("price", "tiers", "commit_rate"), ("credit_type",)),
    "pricing.credittypeconversion": (("fiat_per_custom_credit",), ("rate_card__fiat_credit_type",)),
    "invoicing.invoice": (("subtotal", "total"), ("credit_type",)),
    "invoicing.externalinvoice": (
        ("invoiced_total", "invoiced_sub_total", "tax_amount"), ("invoice__credit_type",),
    ),
    "contracts.contract": (
        ("total_contract_value", "spend_threshold_configuration",
         "prepaid_balance_threshold_configuration"),
        ("rate_card__fiat_credit_type",),
    ),
    "contracts.accesssegment": (
        ("amount",),
        ("commit__access_credit_type", "commit__contract__rate_card__fiat_credit_type",
         "commit__invoice_contract__rate_card__fiat_credit_type"),
    ),
    "contracts.scheduledchargeitem": (
        ("amount", "unit_price"), ("charge__contract__rate_card__fiat_credit_type",),
    ),
    "contracts.override": (("overwrite_rate",), ("contract__rate_card__fiat_credit_type",)),
    "contracts.recurringcommit": (
        ("access_amount", "invoice_amount"), ("contract__rate_card__fiat_credit_type",),
    ),
    "contracts.thresholdcharge": (
        ("observed", "threshold_amount", "amount", "invoice_amount"),
        ("contract__rate_card__fiat_credit_type",),
    ),
    # Discount and SpendTracker rows hold no amount: a discount's are on its items, a
    # tracker's spend is computed from invoices.
    "contracts.discountitem": (
        ("amount", "unit_price"), ("discount__contract__rate_card__fiat_credit_type",),
    ),
    "contracts.professionalservice": (
        ("max_amount", "unit_price"), ("contract__rate_card__fiat_credit_type",),
    ),
    "contracts.proserviceinvoiceitem": (
        ("unit_price", "amount"), ("service__contract__rate_card__fiat_credit_type",),
    ),
    "contracts.resellerroyalty": (
        ("reseller_contract_value",), ("contract__rate_card__fiat_credit_type",),
    ),
    "alerts.alert": (("threshold",), ("credit_type",)),
}  # fmt: skip


def _not_money(label: str, row: Model) -> bool:
    """Rows whose amount column holds something else: a usage alert's threshold is a quantity,
    a PERCENTAGE rate's price a fraction."""
    if label == "alerts.alert":
        return getattr(row, "alert_type", "") == "usage_threshold_reached"
    return label == "pricing.rate" and getattr(row, "rate_type", "") == "PERCENTAGE"


def _follow(row: Model, path: str) -> Any:
    value: Any = row
    for step in path.split("__"):
        value = getattr(value, step, None)
        if value is None:
            return None
    return value


def _credit_types(entries: list[LogEntry]) -> dict[int, Any]:
    """entry pk -> the credit type of its row's amounts (absent: not money, or row deleted)."""
    by_label: dict[str, list[LogEntry]] = defaultdict(list)
    for entry in entries:
        model = entry.content_type.model_class()
        if model is not None and model._meta.label_lower in MONEY_COLUMNS:
            by_label[model._meta.label_lower].append(entry)
    found: dict[int, Any] = {}
    for label, group in by_label.items():
        model = group[0].content_type.model_class()
        assert model is not None
        paths = MONEY_COLUMNS[label][1]
        pks = [int(e.object_pk) for e in group if e.object_pk.isdigit()]
        rows = model.objects.select_related(*paths).in_bulk(pks)  # each path ends in a FK
        for entry in group:
            row = rows.get(int(entry.object_pk)) if entry.object_pk.isdigit() else None
            if row is None or _not_money(label, row):
                continue
            credit_type = next((ct for p in paths if (ct := _follow(row, p)) is not None), None)
            found[entry.pk] = credit_type or credit_type_get_default()
    return found


def _shown(value: Any, credit_type: Any) -> Any:
    """One recorded value (a number, or JSON as text) with its amounts in major units."""
    if value in (None, "", "None"):
        return value
    try:
        return format_money(value, credit_type)
    except ArithmeticError:  # not a number: JSON (tiers, configurations), as auditlog wrote it
        pass
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        return json.dumps(shown_terms(parsed, credit_type), ensure_ascii=False, default=str)
    return value


def money_shown(entries: list[LogEntry], changes: list[dict[str, list[Any]]]) -> list[dict]:
    """Each entry's {field: [before, after]} with its money columns as people read them."""
    credit_types = _credit_types(entries)
    out = []
    for entry, diff in zip(entries, changes, strict=True):
        credit_type = credit_types.get(entry.pk)
        model = entry.content_type.model_class()
        columns = MONEY_COLUMNS.get(model._meta.label_lower, ((), ()))[0] if model else ()
        if credit_type is None or not columns:
            out.append(diff)
            continue
        out.append(
            {
                field: [_shown(v, credit_type) for v in pair] if field in columns else pair
                for field, pair in diff.items()
            }
        )
    return out


def entries_shown(entries: Iterable[LogEntry]) -> list[dict[str, Any]]:
    """The wire entries (reports.audit_log), their changes with money as people read it."""
    rows = list(entries)
    wires = entries_to_wire(rows)
    shown = money_shown(rows, [wire["changes"] for wire in wires])
    return [dict(wire, changes=changes) for wire, changes in zip(wires, shown, strict=True)]


def entries_shown_streamed(qs: QuerySet[LogEntry], chunk_size: int = 500) -> Iterator[dict]:
    """Every entry of `qs` as `entries_shown`, a chunk at a time (the console's CSV export)."""
    chunk: list[LogEntry] = []
    for entry in qs.iterator(chunk_size=chunk_size):
        chunk.append(entry)
        if len(chunk) >= chunk_size:
            yield from entries_shown(chunk)
            chunk = []
    if chunk:
        yield from entries_shown(chunk)
