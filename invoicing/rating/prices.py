"""The effective price of a product and group value at a moment: the rate card's rate, then
the contract's overrides (which ones apply, and their precedence: invoicing.rating.overrides).

Commit-specific overrides price only the usage their commits pay for (`commit_price`, used by
invoicing.rating.drawdown): with target LIST_RATE (the default) they join the contract's other
overrides on the list rate; with target COMMIT_RATE they apply to the rate's commit rate,
which prices usage drawn from a COMMIT_RATE commit.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicing.rating.overrides import (
    OverrideChoice,
    choose,
    multiplier_tiers,
    override_active,
    override_choice,
    override_matches,
)
from invoicing.rating.rates import rate_at
from invoicing.rating.snapshot import (
    CommitTerms,
    ContractTerms,
    ProductRef,
    ProductVersionTerms,
    RateTerms,
)
from pricing import rating


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


def _tiers(raw: list[dict[str, Any]]) -> tuple[rating.Tier, ...]:
    return tuple(
        rating.Tier(
            size=Decimal(str(t["size"])) if t.get("size") is not None else None,
            price=Decimal(str(t["price"])),
        )
        for t in raw
    )


def _choice(
    contract: ContractTerms,
    product: ProductRef,
    tags: list[str],
    values: dict[str, Any],
    at: datetime,
    presentation: dict[str, Any] | None,
) -> OverrideChoice:
    return override_choice(
        contract.overrides, contract.multiplier_override_prioritization, product, tags, values,
        at, presentation,
    )  # fmt: skip


def _list_rate(
    contract: ContractTerms, product: ProductRef, at: datetime, values: dict[str, Any]
) -> RateTerms | None:
    assert contract.rate_card is not None  # only a contract with a rate card prices usage
    return rate_at(contract.rate_card, product.pk, at, values)


def resolve_price(
    contract: ContractTerms,
    product: ProductRef,
    state: ProductVersionTerms,
    values: dict[str, Any],
    at: datetime,
    presentation: dict[str, Any] | None = None,
) -> ResolvedPrice | None:
    """The price for `product` with pricing group `values` (and presentation group values)
    at `at`, or None when not billable."""
    rate = _list_rate(contract, product, at, values)
    choice = _choice(contract, product, list(state.tags or []), values, at, presentation)
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
    custom = rate is not None and rate.custom_unit
    return replace(
        price,
        list_price=rate.price if rate is not None else None,
        rate_id=str(rate.public_id) if rate is not None else "",
        commit_rate=_commit_rate(rate.commit_rate) if rate is not None else None,
        custom_unit=rate.credit_type_id if custom else None,
    )


def commit_price(
    contract: ContractTerms,
    product: ProductRef,
    state: ProductVersionTerms,
    values: dict[str, Any],
    presentation: dict[str, Any],
    at: datetime,
    listed: ResolvedPrice,
    commit: CommitTerms,
) -> ResolvedPrice | None:
    """The price of usage that `commit` pays for, or None when it is `listed` (the list
    price): a COMMIT_RATE commit pays the rate's commit rate (when the rate has one) under the
    commit-specific overrides that target COMMIT_RATE; any other commit pays the list rate
    under the contract's overrides and the commit-specific ones that target LIST_RATE."""
    tags = list(state.tags or [])
    specific = tuple(
        o for o in contract.overrides
        if o.archived_at is None and o.is_commit_specific and override_active(o, at)
        and override_matches(o, product, tags, values, presentation, commit=commit)
    )  # fmt: skip
    if commit.rate_type == "COMMIT_RATE" and listed.commit_rate is not None:
        aimed = tuple(o for o in specific if o.target == "COMMIT_RATE")
        prioritization = contract.multiplier_override_prioritization
        price = _priced(_RateTerms(*listed.commit_rate), choose(prioritization, aimed))
        label = "COMMIT_RATE"
    else:
        aimed = tuple(o for o in specific if o.target != "COMMIT_RATE")
        if not aimed:
            return None
        rate = _list_rate(contract, product, at, values)
        regular = _choice(contract, product, tags, values, at, presentation).matching
        base = (
            _RateTerms(rate.rate_type, rate.price, _tiers(rate.tiers or []) if rate.rate_type == "TIERED" else ())
            if rate is not None
            else _RateTerms("FLAT", None, ())
        )  # fmt: skip
        price = _priced(base, choose(contract.multiplier_override_prioritization, regular + aimed))
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
