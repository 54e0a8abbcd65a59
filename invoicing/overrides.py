"""The effective price of a product and group value at a moment: the rate card's rate, then
the contract's overrides.

Precedence (Metronome's): an OVERWRITE replaces the rate card rate (the one with the lowest
`priority` wins, then the latest start); then at most one MULTIPLIER applies — the lowest
multiplier under LOWEST_MULTIPLIER prioritization, the lowest `priority` under EXPLICIT; a
TIERED override applies multipliers by quantity tiers to a flat price.

Commit-specific overrides price only the usage their commits pay for (`commit_price`, used by
invoicing.drawdown): with target LIST_RATE (the default) they join the contract's other
overrides on the list rate; with target COMMIT_RATE they apply to the rate's commit rate,
which prices usage drawn from a COMMIT_RATE commit.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.models import Contract, Override, OverrideType
from pricing import rating
from pricing import selectors as pricing_selectors
from pricing.models import Product

NO_PRIORITY = Decimal("1e30")


@dataclass(frozen=True)
class ResolvedPrice:
    rate_type: str  # FLAT | TIERED
    price: Decimal | None  # per unit, for FLAT
    tiers: tuple[rating.Tier, ...]  # for TIERED
    multiplier: Decimal  # 1 when no multiplier override applies
    multiplier_tiers: tuple[
        tuple[Decimal | None, Decimal], ...
    ]  # TIERED override: (size, multiplier)
    list_price: Decimal | None  # the rate card price, for the explanation
    rate_id: str
    override_ids: tuple[str, ...]
    # The rate's commit rate (rate type, price, tiers), for usage drawn from COMMIT_RATE commits.
    commit_rate: tuple[str, Decimal | None, tuple[rating.Tier, ...]] | None = None
    custom_unit: int | None = None  # the rate's custom credit type (pk); None: the card's fiat
    label: str = "LIST_RATE"  # which price this is: LIST_RATE, COMMIT_RATE, COMMIT_SPECIFIC

    def effective_tiers(self) -> tuple[rating.Tier, ...]:
        """The same prices as `rate`, as graduated tiers (a flat price: one unbounded tier)."""
        if self.multiplier_tiers and self.price is not None:
            return tuple(
                rating.Tier(size, self.price * mult) for size, mult in self.multiplier_tiers
            )
        if self.rate_type == "TIERED":
            return tuple(rating.Tier(t.size, t.price * self.multiplier) for t in self.tiers)
        return (rating.Tier(None, (self.price or Decimal(0)) * self.multiplier),)

    def rate(self, quantity: Decimal, *, already_used: Decimal = Decimal(0)) -> rating.Rated:
        if self.multiplier_tiers and self.price is not None:
            tiers = tuple(
                rating.Tier(size=size, price=self.price * mult)
                for size, mult in self.multiplier_tiers
            )
            return rating.tiered(quantity, tiers, already_used=already_used)
        if self.rate_type == "TIERED":
            tiers = tuple(
                rating.Tier(size=t.size, price=t.price * self.multiplier) for t in self.tiers
            )
            return rating.tiered(quantity, tiers, already_used=already_used)
        return rating.flat(quantity, (self.price or Decimal(0)) * self.multiplier)

    def unit_price(self, quantity: Decimal, amount: Decimal) -> Decimal | None:
        if self.rate_type == "FLAT" and not self.multiplier_tiers:
            return (self.price or Decimal(0)) * self.multiplier
        return amount / quantity if quantity else None

    def tier_details(self, rated: rating.Rated) -> list[dict[str, str]]:
        if self.rate_type != "TIERED" and not self.multiplier_tiers:
            return []
        return [{k: str(v) for k, v in _as_dict(detail).items()} for detail in rated.details]

    def explanation(self) -> dict[str, Any]:
        return {
            "rate_id": self.rate_id,
            "rate_type": self.rate_type,
            "list_price": str(self.list_price) if self.list_price is not None else None,
            "multiplier": str(self.multiplier),
            "override_ids": list(self.override_ids),
            **({"priced_at": self.label} if self.label != "LIST_RATE" else {}),
        }


def _as_dict(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    if hasattr(detail, "__dataclass_fields__"):
        return {name: getattr(detail, name) for name in detail.__dataclass_fields__}
    return {"detail": detail}


def override_matches(
    override: Override,
    product: Product,
    tags: list[str],
    values: dict[str, Any],
    presentation: dict[str, Any] | None = None,
    commit: Any = None,
) -> bool:
    """Whether `override` prices this product and group values (and, for a commit-specific
    override, usage paid for by `commit`)."""
    if override.product_id is not None and override.product_id != product.pk:
        return False
    if override.applicable_product_tags and not set(override.applicable_product_tags) & set(tags):
        return False
    if not override.override_specifiers:
        return override.product_id is not None or bool(override.applicable_product_tags)
    return any(
        _specifier_matches(spec, product, tags, values, presentation or {})
        and (commit is None or _names_commit(spec, commit))
        for spec in override.override_specifiers
    )


def _specifier_matches(
    spec: dict[str, Any],
    product: Product,
    tags: list[str],
    values: dict[str, Any],
    presentation: dict[str, Any],
) -> bool:
    if spec.get("product_id") and spec["product_id"] != str(product.public_id):
        return False
    if spec.get("product_tags") and not set(spec["product_tags"]) <= set(tags):
        return False
    wanted = spec.get("pricing_group_values") or {}
    shown = spec.get("presentation_group_values") or {}
    return all(values.get(key) == value for key, value in wanted.items()) and all(
        presentation.get(key) == value for key, value in shown.items()
    )


def _names_commit(spec: dict[str, Any], commit: Any) -> bool:
    """A commit-specific specifier names commits by id, by the recurring commit or credit that
    issued them, or either (any_commit_or_credit_ids); naming none means every commit."""
    ids = spec.get("commit_ids") or []
    recurring = spec.get("recurring_commit_ids") or []
    either = spec.get("any_commit_or_credit_ids") or []
    if not (ids or recurring or either):
        return True
    own = str(commit.public_id)
    issuer = str(commit.recurring_commit.public_id) if commit.recurring_commit_id else None
    return own in ids or own in either or (issuer is not None and issuer in [*recurring, *either])


def override_active(override: Override, at: datetime) -> bool:
    return override.starting_at <= at and (
        override.ending_before is None or at < override.ending_before
    )


def _tiers(raw: list[dict[str, Any]]) -> tuple[rating.Tier, ...]:
    return tuple(
        rating.Tier(
            size=Decimal(str(t["size"])) if t.get("size") is not None else None,
            price=Decimal(str(t["price"])),
        )
        for t in raw
    )


@dataclass(frozen=True)
class OverrideChoice:
    """The contract's overrides in force for one product and group value at one moment, and
    which of them take effect (Metronome's precedence, in the module docstring)."""

    matching: tuple[Override, ...]
    overwrite: Override | None
    multiplier: Override | None
    tiered: Override | None  # applies only to a FLAT price

    @property
    def entitled(self) -> bool:
        return any(o.entitled for o in self.matching if o.entitled is not None)


def override_choice(
    contract: Contract,
    product: Product,
    tags: list[str],
    values: dict[str, Any],
    at: datetime,
    presentation: dict[str, Any] | None = None,
) -> OverrideChoice:
    """The contract's overrides of the list rate for this product and group values at `at`."""
    return choose(
        contract,
        tuple(
            o for o in contract.overrides.all()
            if o.archived_at is None and not o.is_commit_specific and override_active(o, at)
            and override_matches(o, product, tags, values, presentation)
        ),
    )  # fmt: skip


def choose(contract: Contract, overrides: tuple[Override, ...]) -> OverrideChoice:
    """Which of `overrides` take effect, by Metronome's precedence (module docstring)."""
    overwrites = sorted(
        (o for o in overrides if o.type == OverrideType.OVERWRITE),
        key=lambda o: (
            o.priority if o.priority is not None else NO_PRIORITY,
            -o.starting_at.timestamp(),
        ),
    )
    multiplier = None
    multipliers = [o for o in overrides if o.type == OverrideType.MULTIPLIER]
    if multipliers:
        if contract.multiplier_override_prioritization == "EXPLICIT":
            multiplier = min(
                multipliers,
                key=lambda o: (o.priority if o.priority is not None else NO_PRIORITY, o.multiplier),
            )
        else:
            multiplier = min(multipliers, key=lambda o: o.multiplier)
    tiered = [o for o in overrides if o.type == OverrideType.TIERED]
    return OverrideChoice(
        matching=overrides,
        overwrite=overwrites[0] if overwrites else None,
        multiplier=multiplier,
        tiered=min(tiered, key=lambda o: o.priority if o.priority is not None else NO_PRIORITY)
        if tiered
        else None,
    )


def multiplier_tiers(override: Override) -> tuple[tuple[Decimal | None, Decimal], ...]:
    """A TIERED override's (size, multiplier) pairs."""
    return tuple(
        (Decimal(t["size"]) if t.get("size") is not None else None, Decimal(t["multiplier"]))
        for t in override.tiers or []
    )


def resolve_price(
    contract: Contract,
    product: Product,
    state: Any,
    values: dict[str, Any],
    at: datetime,
    presentation: dict[str, Any] | None = None,
) -> ResolvedPrice | None:
    """The price for `product` with pricing group `values` (and presentation group values)
    at `at`, or None when not billable."""
    rate = pricing_selectors.rate_at(contract.rate_card, product, at, values)
    choice = override_choice(contract, product, list(state.tags or []), values, at, presentation)
    if rate is None and choice.overwrite is None:
        return None
    if rate is not None and not rate.entitled and not choice.entitled:
        return None
    base = (
        _RateTerms(rate.rate_type, rate.price, _tiers(rate.tiers or []) if rate.rate_type == "TIERED" else ())
        if rate is not None
        else _RateTerms("FLAT", None, ())
    )  # fmt: skip
    price = _priced(base, choice)
    if price is None:
        return None
    custom = rate is not None and not rate.credit_type.is_fiat
    return replace(
        price,
        list_price=rate.price if rate is not None else None,
        rate_id=str(rate.public_id) if rate is not None else "",
        commit_rate=_commit_rate(rate.commit_rate) if rate is not None else None,
        custom_unit=rate.credit_type_id if custom else None,
    )


def commit_price(
    contract: Contract,
    product: Product,
    state: Any,
    values: dict[str, Any],
    presentation: dict[str, Any],
    at: datetime,
    listed: ResolvedPrice,
    commit: Any,
) -> ResolvedPrice | None:
    """The price of usage that `commit` pays for, or None when it is `listed` (the list
    price): a COMMIT_RATE commit pays the rate's commit rate (when the rate has one) under the
    commit-specific overrides that target COMMIT_RATE; any other commit pays the list rate
    under the contract's overrides and the commit-specific ones that target LIST_RATE."""
    tags = list(state.tags or [])
    specific = tuple(
        o for o in contract.overrides.all()
        if o.archived_at is None and o.is_commit_specific and override_active(o, at)
        and override_matches(o, product, tags, values, presentation, commit=commit)
    )  # fmt: skip
    if commit.rate_type == "COMMIT_RATE" and listed.commit_rate is not None:
        aimed = tuple(o for o in specific if o.target == "COMMIT_RATE")
        price = _priced(_RateTerms(*listed.commit_rate), choose(contract, aimed))
        label = "COMMIT_RATE"
    else:
        aimed = tuple(o for o in specific if o.target != "COMMIT_RATE")
        if not aimed:
            return None
        rate = pricing_selectors.rate_at(contract.rate_card, product, at, values)
        regular = override_choice(contract, product, tags, values, at, presentation).matching
        base = (
            _RateTerms(rate.rate_type, rate.price, _tiers(rate.tiers or []) if rate.rate_type == "TIERED" else ())
            if rate is not None
            else _RateTerms("FLAT", None, ())
        )  # fmt: skip
        price = _priced(base, choose(contract, regular + aimed))
        label = "COMMIT_SPECIFIC"
    if price is None:
        return None
    return replace(
        price,
        list_price=listed.list_price,
        rate_id=listed.rate_id,
        custom_unit=listed.custom_unit,
        label=label,
    )


@dataclass(frozen=True)
class _RateTerms:
    rate_type: str
    price: Decimal | None
    tiers: tuple[rating.Tier, ...]


def _commit_rate(
    raw: dict[str, Any] | None,
) -> tuple[str, Decimal | None, tuple[rating.Tier, ...]] | None:
    if not raw:
        return None
    kind = raw.get("rate_type", "FLAT")
    price = Decimal(str(raw["price"])) if raw.get("price") is not None else None
    return (kind, price, _tiers(raw.get("tiers") or []) if kind == "TIERED" else ())


def _priced(base: _RateTerms, choice: OverrideChoice) -> ResolvedPrice | None:
    """`base` under the chosen overrides, or None when the result is not a usage price."""
    rate_type, price, tiers = base.rate_type, base.price, base.tiers
    applied: list[str] = []
    if choice.overwrite is not None:
        new = choice.overwrite.overwrite_rate or {}
        rate_type = new.get("rate_type", "FLAT")
        price = Decimal(str(new["price"])) if new.get("price") is not None else None
        tiers = _tiers(new.get("tiers") or []) if rate_type == "TIERED" else ()
        applied.append(str(choice.overwrite.public_id))
    if rate_type not in ("FLAT", "TIERED"):
        return None  # SUBSCRIPTION, PERCENTAGE and CUSTOM rates are not usage prices
    multiplier, by_tier = Decimal(1), ()
    if choice.multiplier is not None:
        multiplier = choice.multiplier.multiplier
        applied.append(str(choice.multiplier.public_id))
    if choice.tiered is not None and rate_type == "FLAT":
        by_tier = multiplier_tiers(choice.tiered)
        applied.append(str(choice.tiered.public_id))
    return ResolvedPrice(
        rate_type=rate_type,
        price=price,
        tiers=tiers,
        multiplier=multiplier,
        multiplier_tiers=by_tier,
        list_price=None,
        rate_id="",
        override_ids=tuple(applied),
    )
