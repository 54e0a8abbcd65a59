"""What the invoice page says about each charge line: how it was priced (rate card, rate and
its start, unit, override, tier math, percentage) and what paid it (invoicing.line_draws).

Read-only: built from the lines' stored explanation (invoicing.rating writes it) plus the rates
and product versions it names. Amounts are in the invoice's credit type unit (USD cents).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing_console.lib.money_text import format_money, to_major, to_minor, unit_of
from invoicing.line_draws import draw_notes
from invoicing.models import Invoice, LineItem
from pricing.models import ProductVersion, Rate


@dataclass
class LineNote:
    line: LineItem
    priced: str = ""  # "Standard card · $0.0025 per call from Jan 1, 2026"
    override: str = ""  # "Contract override: $0.002 instead of $0.0025"
    tier_math: list[str] = field(default_factory=list)  # "1,000 × $0.02 = $20.00"  # noqa: RUF003
    percentage: str = ""  # "5% of $264.60"
    paid_by: list[str] = field(default_factory=list)  # "Launch credit paid $4.00"
    owed_why: list[str] = field(default_factory=list)  # "Launch credit ($9.00 left): ..."


AVERAGE_DIGITS = 4  # significant digits of an average unit price: $0.01235, not $0.0123456789
TIMES = "\u00d7"  # the multiplication sign people read in "1,000 × $0.02"  # noqa: RUF003


def day(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}, {moment.year}"


def _number(value: Decimal) -> str:
    """A quantity as people read it: grouped, without trailing zeros ("26,460", "1.5")."""
    return f"{value.normalize():,f}"


def _singular(word: str) -> str:
    word = word.replace("_", " ").strip()
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def unit_name(version: ProductVersion | None) -> str:
    """The unit one line quantity counts ("token", "call"), or "" when nothing says."""
    if version is None:
        return ""
    conversion = version.quantity_conversion or {}
    if conversion.get("name"):
        return _singular(str(conversion["name"]))
    metric = version.billable_metric
    if metric is None:
        return ""
    if metric.aggregation_key:
        return _singular(metric.aggregation_key)
    event_types = (metric.event_type_filter or {}).get("in_values") or []
    return _singular(event_types[0]) if len(event_types) == 1 else "event"


def _versions(lines: list[LineItem]) -> dict[int, list[ProductVersion]]:
    ids = {line.product_id for line in lines if line.product_id}
    out: dict[int, list[ProductVersion]] = {}
    for version in (
        ProductVersion.objects.filter(product_id__in=ids)
        .select_related("billable_metric")
        .order_by("starting_at")
    ):
        out.setdefault(version.product_id, []).append(version)
    return out


def _version_at(versions: list[ProductVersion], at: datetime | None) -> ProductVersion | None:
    current = versions[0] if versions else None
    for version in versions:
        if at is not None and version.starting_at <= at:
            current = version
    return current


def _card_name(rate: Rate) -> str:
    name = rate.rate_card.name
    return name if name.lower().endswith("card") else f"{name} card"


def _priced(line: LineItem, rate: Rate | None, unit: str, credit_type: Any) -> str:
    if rate is None:
        return ""
    per = f" per {unit}" if unit else ""
    explanation = line.explanation or {}
    if line.type == "COMPOSITE":
        price = _percentage(line, credit_type) or f"{_number(Decimal(str(rate.price)) * 100)}%"
    elif explanation.get("rate_type") == "TIERED" or rate.rate_type == "TIERED":
        price = f"tiered{per}"
    else:
        listed = explanation.get("list_price") or rate.price
        price = f"{format_money(listed, credit_type)}{per}" if listed is not None else per
    return f"{_card_name(rate)} · {price} from {day(rate.starting_at)}".replace("  ", " ")


def _override(line: LineItem, unit: str, credit_type: Any) -> str:
    explanation = line.explanation or {}
    if not explanation.get("override_ids"):
        return ""
    multiplier = Decimal(str(explanation.get("multiplier") or "1"))
    per = f" per {unit}" if unit else ""
    if line.unit_price is not None and line.list_price is not None:
        text = (
            f"Contract override: {format_money(line.unit_price, credit_type)}{per} instead of "
            f"{format_money(line.list_price, credit_type)}"
        )
    else:
        text = "Contract override applied"
    return f"{text} ({TIMES} {_number(multiplier)})" if multiplier != 1 else text


def tier_math(line: LineItem, credit_type: Any) -> list[str]:
    """Each tier of a tiered line: "Tier 2 (from unit 101): 50 × $0.005 = $0.25"."""  # noqa: RUF002
    out = []
    for tier in line.tiers or []:
        if "quantity" not in tier or "price" not in tier:
            continue
        quantity, price = Decimal(str(tier["quantity"])), Decimal(str(tier["price"]))
        amount = Decimal(str(tier.get("amount", quantity * price)))
        start = Decimal(str(tier.get("starting_at", "0")))
        out.append(
            f"Tier {tier.get('tier', len(out) + 1)} (from unit {_number(start + 1)}): "
            f"{_number(quantity)} {TIMES} {format_money(price, credit_type)} = "
            f"{format_money(amount, credit_type)}"
        )
    return out


def is_average(line: LineItem) -> bool:
    """A usage line whose unit price is its amount over its quantity (tiered, or a rate that is
    not a flat price), not a price any unit was charged."""
    rate_type = (line.explanation or {}).get("rate_type")
    return line.type == "USAGE" and bool(line.tiers or rate_type not in (None, "FLAT"))


def _rounded_average(price: Decimal, credit_type: Any) -> Decimal:
    """An average price (stored unit) to AVERAGE_DIGITS significant digits, never coarser than
    the currency's minor unit: $0.0123456789 -> $0.01235, $12.3456 -> $12.35. Display only."""
    unit = unit_of(credit_type)
    major = to_major(price, credit_type)
    if major == 0:
        return price
    places = max(unit.exponent if unit.fiat else 2, AVERAGE_DIGITS - 1 - major.adjusted())
    return to_minor(major.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP), credit_type)


def unit_price_text(line: LineItem, credit_type: Any) -> str:
    """The unit price column: the price charged, or a tiered line's rounded average, "avg
    $0.01235" (the tier math says what each unit cost). Amounts billed are not touched."""
    if line.unit_price is None:
        return ""
    price = Decimal(str(line.unit_price))
    if not is_average(line):
        return format_money(price, credit_type)
    return f"avg {format_money(_rounded_average(price, credit_type), credit_type)}"


def _percentage(line: LineItem, credit_type: Any) -> str:
    base = (line.explanation or {}).get("percentage_of")
    if base is None or line.unit_price is None:
        return ""
    share = _number(Decimal(str(line.unit_price)) * 100)
    return f"{share}% of {format_money(base, credit_type)}"


def line_notes(invoice: Invoice, lines: list[LineItem]) -> list[LineNote]:
    """One note per charge line of `invoice`, in order (`lines` are its non-applied lines)."""
    credit_type = invoice.credit_type
    rate_ids = {str(line.explanation.get("rate_id")) for line in lines if line.explanation}
    rates = {
        str(rate.public_id): rate
        for rate in Rate.objects.filter(public_id__in=[r for r in rate_ids if r and r != "None"])
        .select_related("rate_card")
    }  # fmt: skip
    versions = _versions(lines)
    draws = draw_notes(invoice, lines)
    notes = []
    for line in lines:
        explanation = line.explanation or {}
        unit = unit_name(_version_at(versions.get(line.product_id or 0, []), line.starting_at))
        rate = rates.get(str(explanation.get("rate_id", "")))
        paid_by, owed_why = draws.get(line.pk, ([], []))
        notes.append(
            LineNote(
                line=line,
                priced=_priced(line, rate, unit, credit_type),
                override=_override(line, unit, credit_type),
                tier_math=tier_math(line, credit_type),
                percentage=_percentage(line, credit_type),
                paid_by=paid_by,
                owed_why=owed_why,
            )
        )
    return notes
