"""Customer writes. Every function is atomic and leaves an audit entry through auditlog."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from customers.models import NAME_MAX_LENGTH, Customer, IngestAlias

NAME_REQUIRED = "name: a customer needs a name."
ALIAS_EMPTY = "ingest_aliases: an alias cannot be empty."
ALIAS_TAKEN = "ingest_aliases: '{alias}' is already an ingest alias of another active customer."


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(NAME_REQUIRED)
    return name[:NAME_MAX_LENGTH]


def _clean_aliases(aliases: list[str]) -> list[str]:
    seen: list[str] = []
    for alias in aliases:
        alias = alias.strip()
        if not alias:
            raise ApplicationError(ALIAS_EMPTY)
        if alias not in seen:
            seen.append(alias)
    return seen


def _check_aliases_free(aliases: list[str], customer: Customer | None) -> None:
    taken = IngestAlias.objects.filter(alias__in=aliases, active=True)
    if customer is not None and customer.pk:
        taken = taken.exclude(customer=customer)
    first = taken.first()
    if first is not None:
        raise ApplicationError(ALIAS_TAKEN.format(alias=first.alias), code="conflict")


def _write_aliases(customer: Customer, aliases: list[str]) -> None:
    try:
        with transaction.atomic():  # savepoint: a concurrent insert of the same alias
            for position, alias in enumerate(aliases):
                IngestAlias.objects.create(customer=customer, alias=alias, position=position)
    except IntegrityError as err:
        raise ApplicationError(ALIAS_TAKEN.format(alias=", ".join(aliases)), "conflict") from err


@transaction.atomic
def customer_create(
    *,
    name: str,
    ingest_aliases: list[str] | None = None,
    external_id: str = "",
    custom_fields: dict[str, str] | None = None,
) -> Customer:
    aliases = _clean_aliases(list(ingest_aliases or []))
    external_id = (external_id or "").strip()
    if external_id and external_id not in aliases:
        aliases.insert(0, external_id)  # Metronome: external_id is usable as an alias
    _check_aliases_free(aliases, None)
    custom_fields = custom_fields or {}
    custom_fields_validate(entity="customer", values=custom_fields)
    customer = Customer(
        name=_clean_name(name), external_id=external_id, custom_fields=custom_fields
    )
    customer.full_clean()
    customer.save()
    _write_aliases(customer, aliases)
    return customer


@transaction.atomic
def customer_set_name(*, customer: Customer, name: str) -> Customer:
    customer.name = _clean_name(name)
    customer.save(update_fields=["name", "updated_at"])
    return customer


@transaction.atomic
def customer_set_ingest_aliases(*, customer: Customer, ingest_aliases: list[str]) -> Customer:
    """Replace the aliases. Events already ingested under a removed alias keep their customer."""
    aliases = _clean_aliases(ingest_aliases)
    if customer.is_archived:
        raise ApplicationError(
            "customer_id: an archived customer's aliases cannot change.", "conflict"
        )
    _check_aliases_free(aliases, customer)
    current = list(customer.aliases.all())
    for row in current:
        if row.alias not in aliases:
            row.delete()
    kept = {row.alias: row for row in current if row.alias in aliases}
    new = []
    for position, alias in enumerate(aliases):
        row = kept.get(alias)
        if row is None:
            new.append(alias)
        elif row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    try:
        with transaction.atomic():
            for alias in new:
                IngestAlias.objects.create(
                    customer=customer, alias=alias, position=aliases.index(alias)
                )
    except IntegrityError as err:
        raise ApplicationError(ALIAS_TAKEN.format(alias=", ".join(new)), "conflict") from err
    customer.save(update_fields=["updated_at"])
    return customer


@transaction.atomic
def customer_archive(*, customer: Customer) -> Customer:
    """Archive; its aliases are released so another customer may take them."""
    if customer.archived_at is None:
        customer.archived_at = timezone.now()
        customer.save(update_fields=["archived_at", "updated_at"])
        for alias in customer.aliases.filter(active=True):
            alias.active = False
            alias.save(update_fields=["active"])
    return customer


UNCHANGED: Any = object()  # a field left out of updateConfig keeps its value


@transaction.atomic
def customer_update_config(
    *,
    customer: Customer,
    salesforce_account_id: str | None = UNCHANGED,
    leave_stripe_invoices_in_draft: bool | None = UNCHANGED,
) -> Customer:
    """Set the fields given; None clears one (the draft flag then falls back to the Stripe
    configuration's default)."""
    fields = ["updated_at"]
    if salesforce_account_id is not UNCHANGED:
        customer.salesforce_account_id = salesforce_account_id or ""
        fields.append("salesforce_account_id")
    if leave_stripe_invoices_in_draft is not UNCHANGED:
        customer.leave_stripe_invoices_in_draft = leave_stripe_invoices_in_draft
        fields.append("leave_stripe_invoices_in_draft")
    customer.save(update_fields=fields)
    return customer
