"""Rate cards: name, aliases (unique across active cards) and credit type conversions. Every
function is atomic, validates first and writes nothing on error; auditlog records each change."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from pricing.models import CreditType, CreditTypeConversion, RateCard
from pricing.products import credit_type_get_default


@transaction.atomic
def rate_card_create(
    *,
    name: str,
    description: str = "",
    fiat_credit_type: CreditType | None = None,
    aliases: list[dict[str, Any]] | None = None,
    credit_type_conversions: list[tuple[CreditType, Decimal]] | None = None,
    custom_fields: dict[str, str] | None = None,
) -> RateCard:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("name: a rate card needs a name.")
    fiat = fiat_credit_type or credit_type_get_default()
    if not fiat.is_fiat:
        raise ApplicationError("fiat_credit_type_id: must be a fiat credit type.")
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="rate_card", values=custom_fields)
    card = RateCard.objects.create(
        name=name, description=description or "", fiat_credit_type=fiat,
        aliases=_aliases(aliases or [], None), custom_fields=custom_fields,
    )  # fmt: skip
    _conversions_add(card, credit_type_conversions or [], "credit_type_conversions")
    return card


def _aliases(aliases: list[dict[str, Any]], card: RateCard | None) -> list[dict[str, Any]]:
    out = []
    for index, alias in enumerate(aliases):
        name = (alias.get("name") or "").strip()
        if not name:
            raise ApplicationError(f"aliases[{index}].name: is required.")
        out.append(
            {
                k: alias.get(k)
                for k in ("name", "starting_at", "ending_before")
                if alias.get(k) is not None
            }
        )
    names = [a["name"] for a in out]
    for other in RateCard.objects.exclude(pk=card.pk if card else None).filter(
        archived_at__isnull=True
    ):
        clash = {a.get("name") for a in other.aliases or []} & set(names)
        if clash:
            raise ApplicationError(
                f"aliases: '{sorted(clash)[0]}' is already an alias of rate card {other.name}.",
                "conflict",
            )
    return out


def _conversions_add(
    card: RateCard, conversions: list[tuple[CreditType, Decimal]], field: str
) -> None:
    for index, (credit_type, factor) in enumerate(conversions):
        if credit_type.is_fiat:
            raise ApplicationError(
                f"{field}[{index}].custom_credit_type_id: must be a custom credit type."
            )
        if factor is None or factor <= 0:
            raise ApplicationError(
                f"{field}[{index}].fiat_per_custom_credit: must be greater than 0."
            )
        CreditTypeConversion.objects.update_or_create(
            rate_card=card,
            custom_credit_type=credit_type,
            defaults={"fiat_per_custom_credit": factor},
        )


@transaction.atomic
def rate_card_update(
    *, rate_card: RateCard, name: str | None = None, description: str | None = None,
    aliases: list[dict[str, Any]] | None = None,
    add_credit_type_conversions: list[tuple[CreditType, Decimal]] | None = None,
) -> RateCard:  # fmt: skip
    card = RateCard.objects.select_for_update().get(pk=rate_card.pk)
    if name is not None:
        if not name.strip():
            raise ApplicationError("name: a rate card needs a name.")
        card.name = name.strip()
    if description is not None:
        card.description = description
    if aliases is not None:
        card.aliases = _aliases(aliases, card)
    card.save()
    _conversions_add(card, add_credit_type_conversions or [], "add_credit_type_conversions")
    return card


@transaction.atomic
def rate_card_archive(*, rate_card: RateCard) -> RateCard:
    if rate_card.archived_at is None:
        rate_card.archived_at = timezone.now()
        rate_card.save(update_fields=["archived_at", "updated_at"])
    return rate_card
