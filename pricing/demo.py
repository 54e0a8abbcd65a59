"""Demo catalog: token products priced per million by model, an API-call product with graduated
tiers, storage priced by region, a platform fee, support as a share of usage; one rate card."""

from datetime import UTC, datetime

from pricing.models import Package, Product, RateCard
from pricing.packages import package_create
from pricing.services import product_create, rate_add, rate_card_create
from usage import demo as usage_demo

FROM = datetime(2025, 1, 1, tzinfo=UTC)
PER_MILLION = {"conversion_factor": 1_000_000, "operation": "DIVIDE", "name": "million tokens"}
# cents per million tokens: (input, output)
TOKEN_PRICES = {"atlas-large": (300, 1500), "atlas-mini": (15, 60), "atlas-vision": (500, 2000)}
STORAGE_PRICES = {
    "us-east-1": "0.03",
    "eu-west-1": "0.035",
    "ap-southeast-2": "0.04",
}  # cents per GB-hour


def _product(name: str, type: str, **fields) -> Product:
    return Product.objects.filter(name=name, archived_at__isnull=True).first() or product_create(
        name=name, type=type, **fields
    )


def catalog() -> dict[str, Product]:
    metrics = usage_demo.metrics()
    products = {
        "Input tokens": _product("Input tokens", "USAGE", billable_metric=metrics["Input tokens"],
                                 pricing_group_key=["model"], quantity_conversion=PER_MILLION, tags=["usage", "tokens"]),
        "Output tokens": _product("Output tokens", "USAGE", billable_metric=metrics["Output tokens"],
                                  pricing_group_key=["model"], quantity_conversion=PER_MILLION, tags=["usage", "tokens"]),
        "API calls": _product("API calls", "USAGE", billable_metric=metrics["API calls"], tags=["usage"]),
        "Storage": _product("Storage", "USAGE", billable_metric=metrics["Storage GB-hours"],
                            pricing_group_key=["region"], tags=["usage", "storage"]),
        "Fine-tuning": _product("Fine-tuning", "USAGE", billable_metric=metrics["Fine-tuning jobs"], tags=["usage"]),
        "Platform fee": _product("Platform fee", "FIXED", tags=["fees"]),
        "Prepaid commit": _product("Prepaid commit", "FIXED", tags=["commits"]),
        "Promotional credit": _product("Promotional credit", "FIXED", tags=["credits"]),
        "Onboarding": _product("Onboarding", "PRO_SERVICE", tags=["services"]),
        "Team seats": _product("Team seats", "SUBSCRIPTION", tags=["seats"]),
    }  # fmt: skip
    products["Premium support"] = _product(
        "Premium support", "COMPOSITE", composite_tags=["usage"], tags=["support"]
    )
    return products


def rate_card(products: dict[str, Product]) -> RateCard:
    card = RateCard.objects.filter(name="Standard 2026", archived_at__isnull=True).first()
    if card is not None:
        _seat_rate(card, products)
        return card
    card = rate_card_create(
        name="Standard 2026", description="List prices for all self-serve and enterprise plans."
    )
    for model, (input_price, output_price) in TOKEN_PRICES.items():
        values = {"model": model}
        rate_add(
            rate_card=card,
            product=products["Input tokens"],
            starting_at=FROM,
            rate_type="FLAT",
            price=input_price,
            pricing_group_values=values,
        )
        rate_add(
            rate_card=card,
            product=products["Output tokens"],
            starting_at=FROM,
            rate_type="FLAT",
            price=output_price,
            pricing_group_values=values,
        )
    rate_add(
        rate_card=card,
        product=products["API calls"],
        starting_at=FROM,
        rate_type="TIERED",
        tiers=[
            {"size": 100_000, "price": "0.1"},
            {"size": 900_000, "price": "0.05"},
            {"price": "0.02"},
        ],
    )
    for region, price in STORAGE_PRICES.items():
        rate_add(
            rate_card=card,
            product=products["Storage"],
            starting_at=FROM,
            rate_type="FLAT",
            price=price,
            pricing_group_values={"region": region},
        )
    rate_add(
        rate_card=card,
        product=products["Fine-tuning"],
        starting_at=FROM,
        rate_type="FLAT",
        price=2500,
    )
    rate_add(
        rate_card=card,
        product=products["Premium support"],
        starting_at=FROM,
        rate_type="PERCENTAGE",
        price="0.05",
    )
    _seat_rate(card, products)
    return card  # fmt: skip


def _seat_rate(card: RateCard, products: dict[str, Product]) -> None:
    """$30 a seat a month, prorated (added apart: cards of earlier demos lack it)."""
    if card.rates.filter(product=products["Team seats"]).exists():
        return
    rate_add(
        rate_card=card, product=products["Team seats"], starting_at=FROM,
        rate_type="SUBSCRIPTION", price=3000, billing_frequency="MONTHLY", is_prorated=True,
    )  # fmt: skip


def packages(products: dict[str, Product], card: RateCard) -> list[Package]:
    """Good / better / best self-serve offers: more prepaid commitment buys a deeper discount."""
    start = {"unit": "MONTHS", "value": 0}
    year = {"unit": "YEARS", "value": 1}
    offers = (
        # name, monthly platform fee (cents), annual prepaid commit (cents), token price multiplier
        ("Starter", 0, 0, None),
        ("Growth", 50_000, 1_200_000, 0.9),
        ("Scale", 200_000, 6_000_000, 0.8),
    )
    out = []
    for name, fee, commit, multiplier in offers:
        existing = Package.objects.filter(name=name, archived_at__isnull=True).first()
        if existing is not None:
            out.append(existing)
            continue
        terms: dict = {
            "name": name, "rate_card_id": str(card.public_id), "contract_name": f"{name} plan",
            "duration": year, "usage_statement_schedule": {"frequency": "MONTHLY"},
            "uniqueness_key": f"demo-package-{name.lower()}",
        }  # fmt: skip
        if fee:
            monthly = [
                {"date_offset": {"unit": "MONTHS", "value": m}, "quantity": 1, "unit_price": fee}
                for m in range(12)
            ]
            terms["scheduled_charges"] = [{
                "product_id": str(products["Platform fee"].public_id), "name": "Platform fee",
                "schedule": {"schedule_items": monthly},
            }]  # fmt: skip
        if commit:
            terms["commits"] = [{
                "product_id": str(products["Prepaid commit"].public_id), "type": "PREPAID", "priority": 1,
                "name": f"{name} annual commit", "applicable_product_tags": ["usage"],
                "access_schedule": {"schedule_items": [{"amount": commit, "starting_at_offset": start, "duration": year}]},
                "invoice_schedule": {"schedule_items": [{"date_offset": start, "quantity": 1, "unit_price": commit}]},
            }]  # fmt: skip
        if multiplier:
            terms["overrides"] = [{
                "override_specifiers": [{"product_tags": ["tokens"]}], "starting_at_offset": start,
                "type": "MULTIPLIER", "multiplier": multiplier,
            }]  # fmt: skip
        out.append(package_create(data=terms))
    return out


def load(stdout) -> None:
    products = catalog()
    card = rate_card(products)
    offers = packages(products, card)
    stdout.write(
        f"Pricing demo: {len(products)} products, rate card '{card.name}' with {card.rates.count()} rates, "
        f"packages {', '.join(p.name for p in offers)}."
    )
