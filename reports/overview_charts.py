"""Charts of the customer overview, drawn on the server as SVG (no chart library, no CDN).

By product: this period's usage statement lines (as last computed), cheap. Per day: the invoice
breakdowns of this period's statements (invoicing.breakdowns, what /v1/customers/{id}/costs
returns), which recompute each day's statement from usage events: exact (tiers and overrides
as on the invoice) but a few queries per day, so the overview computes them only when asked.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_console.lib.money import CURRENCY_EXPONENTS
from billing_console.lib.periods import Period
from invoicing.breakdowns import invoice_breakdowns

# Geometry of the per-day column chart, in px of its viewBox.
COLUMNS = {"left": 44, "top": 18, "bar": 16, "gap": 6, "height": 140, "bottom": 30}


def plain_number(value: Decimal | None) -> str:
    """A quantity for people: thousands separated, no exponent, no trailing zeros."""
    if value is None:
        return "—"
    value = value.normalize()
    text = f"{value:,f}"
    return text if value == value.to_integral() else text.rstrip("0")


def major_units(amount: Decimal, credit_type: Any) -> Decimal:
    """A fiat minor-unit amount in major units (USD cents -> dollars); custom units as they are."""
    code = getattr(credit_type, "currency_code", "") or ""
    if getattr(credit_type, "is_fiat", False) and code in CURRENCY_EXPONENTS:
        return amount.scaleb(-CURRENCY_EXPONENTS[code])
    return amount


def compact(value: Decimal) -> str:
    """1234567 -> 1.2M, 1500 -> 1.5k, 12.345 -> 12.35: a label that fits above a column."""
    for size, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if abs(value) >= size:
            return plain_number((value / size).quantize(Decimal("0.1"))) + suffix
    if value != value.to_integral():
        return plain_number(value.quantize(Decimal("0.01")))
    return plain_number(value)


def product_bars(products: list[dict], measure: str) -> list[dict]:
    """Horizontal bars per product. Spend: one group per credit type, scaled within it.
    Quantity: one group, each product in its own unit (scaled to the largest all the same)."""
    key = "total" if measure == "spend" else "quantity"
    groups: dict[Any, list[dict]] = defaultdict(list)
    for product in products:
        if product[key] is None:
            continue
        groups[product["credit_type"] if measure == "spend" else None].append(product)
    out = []
    for credit_type, items in groups.items():
        items = sorted(items, key=lambda p: (-p[key], p["name"]))
        top = max((p[key] for p in items), default=Decimal(0))
        bars = [
            {
                "name": p["name"],
                "value": p[key],
                "label": plain_number(p[key]) if measure == "quantity" else None,
                "percent": f"{(max(p[key], Decimal(0)) / top * 100) if top > 0 else 0:.1f}",
            }
            for p in items
        ]
        out.append({"credit_type": credit_type, "bars": bars})
    return out


def columns(days: list[tuple[datetime, Decimal]], credit_type: Any = None) -> dict[str, Any]:
    """SVG geometry of a per-day column chart scaled to its largest day; labels in major units."""
    c = COLUMNS
    values = [major_units(v, credit_type) if credit_type is not None else v for _d, v in days]
    top = max(values, default=Decimal(0))
    scale = Decimal(c["height"]) / top if top > 0 else Decimal(0)
    baseline = c["top"] + c["height"]
    bars = []
    for i, ((day, raw), value) in enumerate(zip(days, values, strict=True)):
        height = int((max(value, Decimal(0)) * scale).to_integral_value())
        x = c["left"] + i * (c["bar"] + c["gap"])
        bars.append({
            "x": x, "y": baseline - height, "height": height, "day": day, "raw": raw,
            "short": compact(value), "nonzero": value != 0, "label_x": x + c["bar"] // 2,
            "labelled": i % 7 == 0 or i == len(days) - 1,
        })  # fmt: skip
    return {
        "bars": bars, "width": c["left"] + len(days) * (c["bar"] + c["gap"]) + 4,
        "height": baseline + c["bottom"], "baseline": baseline, "top": c["top"],
        "left": c["left"], "bar_width": c["bar"], "plot_height": c["height"],
        "max_short": compact(top), "credit_type": credit_type,
    }  # fmt: skip


@dataclass
class Daily:
    days: list[datetime]  # UTC midnights, first to last day drawn
    spend: dict[Any, dict[datetime, Decimal]] = field(default_factory=dict)  # credit type -> day
    quantity: dict[Any, dict[datetime, Decimal]] = field(default_factory=dict)  # product id -> day
    products: dict[Any, str] = field(default_factory=dict)  # product public id -> name

    def spend_series(self, credit_type: Any) -> list[tuple[datetime, Decimal]]:
        values = self.spend.get(credit_type, {})
        return [(day, values.get(day, Decimal(0))) for day in self.days]

    def quantity_series(self, product_id: Any) -> list[tuple[datetime, Decimal]]:
        values = self.quantity.get(product_id, {})
        return [(day, values.get(day, Decimal(0))) for day in self.days]


def _midnight(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def daily(customer: Any, span: Period, now: datetime) -> Daily:
    """Charges before commits and credits (per credit type) and usage quantities (per product)
    for each UTC day of `span` up to today, from the breakdowns of the customer's statements."""
    end = min(span.end, _midnight(now) + timedelta(days=1))
    first = _midnight(span.start)
    days = []
    while first + timedelta(days=len(days)) < end:
        days.append(first + timedelta(days=len(days)))
    result = Daily(days=days)
    if end <= span.start:
        return result
    for item in invoice_breakdowns(customer=customer, starting_on=span.start, ending_before=end):
        day = _midnight(item.window.start)
        spend = result.spend.setdefault(item.invoice.credit_type, defaultdict(Decimal))
        spend[day] += item.subtotal
        for line in item.lines:
            if line.type != "USAGE" or line.product is None or line.quantity is None:
                continue
            product_id = line.product.public_id
            result.products[product_id] = line.product.name
            result.quantity.setdefault(product_id, defaultdict(Decimal))[day] += line.quantity
    return result
