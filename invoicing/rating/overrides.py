"""Which of the contract's overrides price a product and group value at a moment.

Precedence (Metronome's): an OVERWRITE replaces the rate card rate (the one with the lowest
`priority` wins, then the latest start); then at most one MULTIPLIER applies — the lowest
multiplier under LOWEST_MULTIPLIER prioritization, the lowest `priority` under EXPLICIT; a
TIERED override applies multipliers by quantity tiers to a flat price. What they make of the
rate is invoicing.rating.prices'.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicing.rating.snapshot import CommitTerms, OverrideTerms, ProductRef

NO_PRIORITY = Decimal("1e30")


def override_matches(
    override: OverrideTerms,
    product: ProductRef,
    tags: list[str],
    values: dict[str, Any],
    presentation: dict[str, Any] | None = None,
    commit: CommitTerms | None = None,
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
    product: ProductRef,
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


def _names_commit(spec: dict[str, Any], commit: CommitTerms) -> bool:
    """A commit-specific specifier names commits by id, by the recurring commit or credit that
    issued them, or either (any_commit_or_credit_ids); naming none means every commit."""
    ids = spec.get("commit_ids") or []
    recurring = spec.get("recurring_commit_ids") or []
    either = spec.get("any_commit_or_credit_ids") or []
    if not (ids or recurring or either):
        return True
    own = str(commit.public_id)
    issuer = str(commit.issuer_public_id) if commit.issuer_public_id is not None else None
    return own in ids or own in either or (issuer is not None and issuer in [*recurring, *either])


def override_active(override: OverrideTerms, at: datetime) -> bool:
    return override.starting_at <= at and (
        override.ending_before is None or at < override.ending_before
    )


@dataclass(frozen=True)
class OverrideChoice:
    """The contract's overrides in force for one product and group value at one moment, and
    which of them take effect (Metronome's precedence, in the module docstring)."""

    matching: tuple[OverrideTerms, ...]
    overwrite: OverrideTerms | None
    multiplier: OverrideTerms | None
    tiered: OverrideTerms | None  # applies only to a FLAT price

    @property
    def entitled(self) -> bool:
        return any(o.entitled for o in self.matching if o.entitled is not None)


def override_choice(
    overrides: Sequence[OverrideTerms],
    prioritization: str,
    product: ProductRef,
    tags: list[str],
    values: dict[str, Any],
    at: datetime,
    presentation: dict[str, Any] | None = None,
) -> OverrideChoice:
    """The contract's overrides (`overrides`, with its multiplier prioritization) of the list
    rate for this product and group values at `at`."""
    return choose(
        prioritization,
        tuple(
            o for o in overrides
            if o.archived_at is None and not o.is_commit_specific and override_active(o, at)
            and override_matches(o, product, tags, values, presentation)
        ),
    )  # fmt: skip


def choose(prioritization: str, overrides: tuple[OverrideTerms, ...]) -> OverrideChoice:
    """Which of `overrides` take effect, by Metronome's precedence (module docstring)."""
    overwrites = sorted(
        (o for o in overrides if o.type == "OVERWRITE"),
        key=lambda o: (
            o.priority if o.priority is not None else NO_PRIORITY,
            -o.starting_at.timestamp(),
        ),
    )
    multiplier = None
    multipliers = [o for o in overrides if o.type == "MULTIPLIER"]
    if multipliers:
        if prioritization == "EXPLICIT":
            multiplier = min(
                multipliers,
                key=lambda o: (o.priority if o.priority is not None else NO_PRIORITY, o.multiplier),
            )
        else:
            multiplier = min(multipliers, key=lambda o: o.multiplier)
    tiered = [o for o in overrides if o.type == "TIERED"]
    return OverrideChoice(
        matching=overrides,
        overwrite=overwrites[0] if overwrites else None,
        multiplier=multiplier,
        tiered=min(tiered, key=lambda o: o.priority if o.priority is not None else NO_PRIORITY)
        if tiered
        else None,
    )


def multiplier_tiers(override: OverrideTerms) -> tuple[tuple[Decimal | None, Decimal], ...]:
    """A TIERED override's (size, multiplier) pairs."""
    return tuple(
        (Decimal(t["size"]) if t.get("size") is not None else None, Decimal(t["multiplier"]))
        for t in override.tiers or []
    )
