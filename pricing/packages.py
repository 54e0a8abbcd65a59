"""Packages: contract templates (rate card + commits, credits, overrides, charges, schedule),
their terms validated against the shape /v1/contracts/create takes, with errors naming the path.

Create and archive live here; the terms are read in `pricing.package_terms` (commits, credits,
charges, subscriptions, spend trackers, thresholds), `pricing.package_recurring` (recurring
commits and credits), `pricing.package_overrides` and, for the fields they share,
`pricing.package_fields`."""

from datetime import UTC
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.wire import Reader
from pricing.models import Package, RateCard
from pricing.package_terms import package_terms_clean
from pricing.wire_input import find_by_public_id

UNIQUENESS_KEY_REUSED = "uniqueness_key: '{key}' was already used for another package."


@transaction.atomic
def package_create(*, data: dict[str, Any]) -> Package:
    """A package (contract template) from a /v1/packages/create body. Terms are validated here
    (references resolved, amounts checked) and stored wire-shaped, as a contract create body
    would carry them, with offsets relative to the contract start instead of dates."""
    reader = Reader(data)
    unknown = sorted(set(data) - set(PACKAGE_FIELDS))
    if unknown:
        raise reader.fail(unknown[0], "is not a package field.")
    name = reader.str("name", required=True, max_length=200).strip()
    key = reader.str("uniqueness_key", max_length=128) or None
    if key and Package.objects.filter(uniqueness_key=key).exists():
        raise ApplicationError(UNIQUENESS_KEY_REUSED.format(key=key), "conflict")
    rate_card = _package_rate_card(reader)
    terms = package_terms_clean(reader, rate_card)
    try:
        with transaction.atomic():
            return Package.objects.create(
                name=name,
                rate_card=rate_card,
                aliases=_timed_aliases(reader),
                terms=terms,
                uniqueness_key=key,
            )
    except IntegrityError:  # a concurrent create with the same key won the race
        raise ApplicationError(UNIQUENESS_KEY_REUSED.format(key=key), "conflict") from None


@transaction.atomic
def package_archive(*, package: Package) -> Package:
    if package.archived_at is None:
        package.archived_at = timezone.now()
        package.save(update_fields=["archived_at"])
    return package


def _package_rate_card(reader: Reader) -> RateCard | None:
    if reader.has("rate_card_id") and reader.has("rate_card_alias"):
        raise reader.fail("rate_card_alias", "give rate_card_id or rate_card_alias, not both.")
    if reader.has("rate_card_alias"):
        alias = reader.str("rate_card_alias", required=True)
        if not any(
            a.get("name") == alias for card in RateCard.objects.active() for a in card.aliases or []
        ):
            raise reader.fail("rate_card_alias", f"no active rate card has the alias '{alias}'.")
        return None
    value = reader.str("rate_card_id")
    if not value:
        raise reader.fail("rate_card_id", "a package needs rate_card_id or rate_card_alias.")
    card = find_by_public_id(RateCard.objects.all(), value)
    if card is None:
        raise reader.fail("rate_card_id", f"no rate card with id '{value}'.")
    if card.archived_at is not None:
        raise reader.fail("rate_card_id", "the rate card is archived.")
    return card


def _timed_aliases(reader: Reader) -> list[dict[str, Any]]:
    out = []
    for item in reader.children("aliases"):
        alias: dict[str, Any] = {"name": item.str("name", required=True, max_length=200)}
        for key in ("starting_at", "ending_before"):
            moment = item.datetime(key)
            if moment is not None:
                alias[key] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if "starting_at" in alias and "ending_before" in alias:
            if item.datetime("ending_before") <= item.datetime("starting_at"):  # type: ignore[operator]
                raise item.fail("ending_before", "must be after starting_at.")
        out.append(alias)
    return out


# Package terms: every field of /v1/packages/create but name, aliases, uniqueness_key and the
# rate card, which live in columns.
PACKAGE_FIELDS = (
    "name", "aliases", "billing_provider", "commits", "contract_name", "credits", "delivery_method",
    "duration", "multiplier_override_prioritization", "net_payment_terms_days", "overrides",
    "prepaid_balance_threshold_configuration", "rate_card_alias", "rate_card_id", "recurring_commits",
    "recurring_credits", "scheduled_charges", "scheduled_charges_on_usage_invoices",
    "spend_threshold_configuration", "spend_trackers", "subscriptions", "uniqueness_key",
    "usage_statement_schedule",
)  # fmt: skip
