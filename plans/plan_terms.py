"""A plan read as contract terms: its rate card (built once from its charges, then reused), and
a customer's price adjustments and trial as overrides, subscription quantities and a credit of
the plan-backed contract, each checked with errors naming the /plans/add field.

Mapping (each honoured exactly, or refused with a 400 naming the field):
- usage charge, flat: a FLAT rate; tiered: a TIERED rate ("tier" = the metric value a price
  starts at, so a tier's size is the next tier's start minus its own);
- fixed charge: a SUBSCRIPTION rate, billed monthly in arrears (on the usage invoice, so
  credits draw it) at quantity x price, prorated;
- price adjustment `percentage`: a MULTIPLIER override of 1 + value; `fixed`: an OVERWRITE to
  price + value; `override`: an OVERWRITE to value (one tier's price with `tier`); `quantity`:
  the fixed charge's subscription quantity (start_period 0 only). An adjustment at start_period
  N starts N billing periods (months) after the plan starts, until the charge's next one;
- trial with a spending cap: a credit of the contract over the trial window, worth the cap,
  for every product, drawn first (priority 0); with no cap, MULTIPLIER 0 overrides of every
  charge's product over the window.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from billing_console.lib.periods import add_months
from billing_console.lib.wire_values import iso
from billing_console.wire import Reader
from plans.models import ChargeType, Plan, PlanCharge
from pricing.models import Product, RateCard
from pricing.products import product_create
from pricing.rate_cards import rate_card_create
from pricing.rates import rate_add

RATES_FROM = datetime(2000, 1, 1, tzinfo=UTC)  # a plan's prices hold from before any customer
TRIAL_PRODUCT_NAME = "Free trial"
ADJUSTMENT_TYPES = ("percentage", "fixed", "override", "quantity")


def contract_tiers(prices: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Metronome plan tiers [{tier: start, value: price}] as contract tiers [{price, size}]."""
    ordered = sorted(prices, key=lambda p: Decimal(str(p["tier"])))
    tiers = []
    for index, price in enumerate(ordered):
        tier = {"price": str(price["value"])}
        if index + 1 < len(ordered):
            tier["size"] = str(
                Decimal(str(ordered[index + 1]["tier"])) - Decimal(str(price["tier"]))
            )
        tiers.append(tier)
    return tiers


@transaction.atomic
def plan_rate_card(plan: Plan) -> RateCard:
    """The plan's rate card: built from its charges on first use, then reused."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.rate_card is not None:
        return plan.rate_card
    card = rate_card_create(name=f"Plan: {plan.name}", fiat_credit_type=plan.credit_type)
    for charge in plan.charges.select_related("product"):
        if charge.start_period:
            raise ValueError(
                f"charge {charge.public_id}: price ramps (start_period) are not modelled."
            )
        if charge.charge_type == ChargeType.FIXED:
            rate_add(
                rate_card=card, product=charge.product, starting_at=RATES_FROM,
                rate_type="SUBSCRIPTION", price=charge.price, billing_frequency="MONTHLY",
                is_prorated=True,
            )  # fmt: skip
        elif charge.tiers:
            rate_add(
                rate_card=card, product=charge.product, starting_at=RATES_FROM,
                rate_type="TIERED", tiers=contract_tiers(charge.tiers),
            )  # fmt: skip
        else:
            rate_add(
                rate_card=card, product=charge.product, starting_at=RATES_FROM,
                rate_type="FLAT", price=charge.price,
            )  # fmt: skip
    plan.rate_card = card
    plan.save(update_fields=["rate_card"])
    return card


def _trial_product() -> Product:
    found = Product.objects.filter(
        name=TRIAL_PRODUCT_NAME, type="FIXED", archived_at__isnull=True
    ).first()
    return found or product_create(name=TRIAL_PRODUCT_NAME, type="FIXED")


def _period_start(start: datetime, periods: int) -> datetime:
    return add_months(start, periods, start.day) if periods else start


def _adjusted_rate(charge: PlanCharge, kind: str, items: list[Reader]) -> dict[str, Any]:
    """The OVERWRITE rate of `fixed` / `override` adjustments of one charge and period."""

    def new_price(old: Decimal, item: Reader) -> Decimal:
        value = item.decimal("value", required=True)
        price = old + value if kind == "fixed" else value  # type: ignore[operator]
        if price < 0:  # type: ignore[operator]
            raise item.fail("value", f"would make the price negative ({price}).")
        return price  # type: ignore[return-value]

    if charge.tiers:
        prices = {Decimal(str(t["tier"])): Decimal(str(t["value"])) for t in charge.tiers}
        for item in items:
            tier = item.decimal("tier")
            if tier is None or tier not in prices:
                raise item.fail(
                    "tier",
                    f"must name one of the charge's tiers ({', '.join(str(t) for t in sorted(prices))}).",
                )
            prices[tier] = new_price(prices[tier], item)
        tiers = contract_tiers([{"tier": t, "value": v} for t, v in prices.items()])
        return {"rate_type": "TIERED", "tiers": tiers}
    if len(items) > 1:
        raise items[1].fail(
            "charge_id", "a charge without tiers takes one price adjustment per start_period."
        )
    if items[0].has("tier"):
        raise items[0].fail("tier", "the charge has no tiers.")
    price = new_price(charge.price or Decimal(0), items[0])
    rate_type = "SUBSCRIPTION" if charge.charge_type == ChargeType.FIXED else "FLAT"
    return {"rate_type": rate_type, "price": str(price)}


def adjustments_to_terms(
    plan: Plan, reader: Reader, start: datetime
) -> tuple[list[dict[str, Any]], dict[int, Decimal], list[dict[str, Any]]]:
    """(contract overrides, subscription quantity by charge pk, the adjustments as kept)."""
    charges = {str(c.public_id): c for c in plan.charges.all()}
    groups: dict[tuple[int, int], list[tuple[str, Reader]]] = {}
    quantities: dict[int, Decimal] = {}
    kept = []
    for item in reader.children("price_adjustments"):
        kind = item.choice("adjustment_type", ADJUSTMENT_TYPES, required=True)
        charge = charges.get(item.str("charge_id", required=True, max_length=64))
        if charge is None:
            raise item.fail("charge_id", "is not a charge of this plan.")
        period = item.decimal("start_period", required=True, minimum=Decimal(0))
        if period != period.to_integral_value():  # type: ignore[union-attr]
            raise item.fail("start_period", "must be a whole number of billing periods.")
        if kind == "quantity":
            if charge.charge_type != ChargeType.FIXED:
                raise item.fail("adjustment_type", "quantity adjusts a fixed charge only.")
            if period:
                raise item.fail("start_period", "a quantity adjustment applies from period 0 only.")
            quantities[charge.pk] = item.decimal("quantity", required=True, minimum=Decimal(0))  # type: ignore[assignment]
        else:
            if kind == "percentage" and item.has("tier"):
                raise item.fail("tier", "a percentage adjustment applies to every tier.")
            groups.setdefault((charge.pk, int(period)), []).append((kind, item))  # type: ignore[arg-type]
        kept.append(
            {
                k: item.raw(k)
                for k in (
                    "adjustment_type",
                    "charge_id",
                    "start_period",
                    "quantity",
                    "tier",
                    "value",
                )
                if item.has(k)
            }
        )
    by_pk = {c.pk: c for c in charges.values()}
    overrides = []
    for (charge_pk, period), items in sorted(groups.items()):
        charge = by_pk[charge_pk]
        kinds = {kind for kind, _ in items}
        if len(kinds) > 1:
            raise items[1][1].fail(
                "adjustment_type", "one kind of price adjustment per charge and start_period."
            )
        later = sorted(p for (pk, p) in groups if pk == charge_pk and p > period)
        window = {"starting_at": iso(_period_start(start, period))}
        if later:
            window["ending_before"] = iso(_period_start(start, later[0]))
        kind = kinds.pop()
        override: dict[str, Any] = {
            "product_id": str(charge.product.public_id),
            "priority": 1,
            **window,
        }
        if kind == "percentage":
            multiplier = 1 + items[0][1].decimal("value", required=True)  # type: ignore[operator]
            if multiplier < 0:
                raise items[0][1].fail(
                    "value", "a percentage below -1 would make the price negative."
                )
            override.update(type="MULTIPLIER", multiplier=str(multiplier))
        else:
            override.update(
                type="OVERWRITE", overwrite_rate=_adjusted_rate(charge, kind, [r for _, r in items])
            )
        overrides.append(override)
    return overrides, quantities, kept


def trial_terms(
    plan: Plan, reader: Reader, start: datetime, end: datetime | None
) -> tuple[datetime | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """(trial end, contract credits, contract overrides) of the trial: trial_spec, else the
    plan's own trial terms; none when neither gives one."""
    spec = reader.child("trial_spec")
    if spec is not None:
        days = spec.decimal("length_in_days", required=True, positive=True)
        if days != days.to_integral_value():  # type: ignore[union-attr]
            raise spec.fail("length_in_days", "must be a whole number of days.")
        cap = None
        cap_reader = spec.child("spending_cap")
        if cap_reader is not None:
            cap = cap_reader.decimal("amount", required=True, minimum=Decimal(0))
            if cap_reader.str("credit_type_id") != str(plan.credit_type.public_id):
                raise cap_reader.fail(
                    "credit_type_id",
                    f"must be the plan's credit type ({plan.credit_type.public_id}).",
                )
    elif plan.trial_length_days:
        days, cap = Decimal(plan.trial_length_days), plan.trial_spending_cap
    else:
        return None, [], []
    trial_end = start + timedelta(days=int(days))  # type: ignore[arg-type]
    if end is not None:
        trial_end = min(trial_end, end)
    window = {"starting_at": iso(start), "ending_before": iso(trial_end)}
    if cap is not None:
        credit = {
            "product_id": str(_trial_product().public_id), "name": "Free trial", "priority": 0,
            "access_schedule": {"schedule_items": [{"amount": str(cap), **window}]},
        }  # fmt: skip
        return trial_end, [credit], []
    overrides = [
        {"product_id": str(c.product.public_id), "type": "MULTIPLIER", "multiplier": "0", "priority": 0, **window}
        for c in plan.charges.select_related("product")
    ]  # fmt: skip
    return trial_end, [], overrides
