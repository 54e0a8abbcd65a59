"""Contract writes: create a contract with its commits, credits, overrides and charges.

Input is Metronome-shaped (the API passes the request body through); every field is validated
here with errors naming its path, and the whole write is atomic.
"""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from billing_console.wire import Reader
from billing_console.wire_fields import refuse_unsupported
from contracts.models import (
    CommitKind,
    Contract,
    Frequency,
)
from contracts.terms import ledger
from contracts.terms.billing_provider import contract_billing_configuration_from_wire
from contracts.terms.create import (
    UNIQUENESS_KEY_REUSED,
    commit_create_from_wire,
    override_create_from_wire,
    scheduled_charge_create_from_wire,
)
from contracts.terms.external_ids import contract_external_ids_from_wire
from contracts.terms.reporting_terms import reporting_terms_create
from contracts.terms.services_terms import services_terms_create
from contracts.wire.fields import CONTRACT_CREATE
from contracts.wire.read import uuid_from_wire, window_from_wire
from customers.models import Customer
from pricing.models import RateCard


@transaction.atomic
def contract_create(*, customer: Customer, data: dict[str, Any]) -> Contract:
    """Create a contract and everything on it from a /v1/contracts/create body (with a
    package's terms first when it names a package_id or package_alias)."""
    from contracts.terms.hierarchy import hierarchy_check, hierarchy_from_wire, transition_from_wire
    from contracts.terms.packages import with_package
    from contracts.terms.recurring import recurring_create_from_wire
    from contracts.terms.usage_filters import usage_filter_from_wire

    refuse_unsupported(data, CONTRACT_CREATE)  # before the package's terms are merged in
    data, package = with_package(data)
    reader = Reader(data)
    start, end = window_from_wire(reader)
    rate_card = None
    if reader.has("rate_card_id"):
        rate_card = RateCard.objects.filter(
            public_id=uuid_from_wire(reader, "rate_card_id", reader.str("rate_card_id")),
            archived_at__isnull=True,
        ).first()
        if rate_card is None:
            raise reader.fail(
                "rate_card_id", f"no active rate card with id {reader.str('rate_card_id')}."
            )
    schedule = reader.child("usage_statement_schedule")
    frequency, anchor = Frequency.MONTHLY, start
    if schedule is not None:
        frequency = schedule.choice("frequency", tuple(Frequency.values), required=True)
        day = schedule.str("day", default="CONTRACT_START")
        if day == "CUSTOM_DATE":
            anchor = schedule.datetime("invoice_generation_starting_at", required=True)
        elif day == "FIRST_OF_MONTH":
            anchor = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    contract = Contract(
        customer=customer,
        rate_card=rate_card,
        package=package,
        name=reader.str("name", max_length=200),
        starting_at=start,
        ending_before=end,
        usage_statement_frequency=frequency,
        usage_statement_anchor=anchor,
        multiplier_override_prioritization=reader.choice(
            "multiplier_override_prioritization",
            ("LOWEST_MULTIPLIER", "EXPLICIT"),
            default="LOWEST_MULTIPLIER",
        ),
        net_payment_terms_days=reader.decimal("net_payment_terms_days", minimum=Decimal(0)),
        scheduled_charges_on_usage_invoices=reader.choice(
            "scheduled_charges_on_usage_invoices", ("ALL",)
        ),
        spend_threshold_configuration=_threshold(reader, "spend_threshold_configuration"),
        prepaid_balance_threshold_configuration=_threshold(
            reader, "prepaid_balance_threshold_configuration"
        ),
        custom_fields=reader.str_map("custom_fields"),
        uniqueness_key=reader.str("uniqueness_key", max_length=128) or None,
        **contract_external_ids_from_wire(reader),
        **hierarchy_from_wire(reader),
    )
    hierarchy_check(reader, contract)
    if (
        contract.uniqueness_key
        and Contract.objects.filter(
            customer=customer, uniqueness_key=contract.uniqueness_key
        ).exists()
    ):
        raise ApplicationError(
            UNIQUENESS_KEY_REUSED.format(key=contract.uniqueness_key, what="contract"), "conflict"
        )
    if contract.custom_fields:
        custom_fields_validate(entity="contract", values=contract.custom_fields)
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:  # a concurrent create with the same key won the race: a 409
        key = contract.uniqueness_key
        if not (key and Contract.objects.filter(customer=customer, uniqueness_key=key).exists()):
            raise
        raise ApplicationError(
            UNIQUENESS_KEY_REUSED.format(key=contract.uniqueness_key, what="contract"), "conflict"
        ) from None
    contract_billing_configuration_from_wire(reader, contract)
    usage_filter = reader.child("usage_filter")
    if usage_filter is not None:
        usage_filter_from_wire(usage_filter, contract=contract, default_start=start)
    transition_from_wire(reader, contract)
    commit_ids: dict[str, str] = {}  # temporary_id -> id, for commit-specific overrides
    for key, kind in (("commits", None), ("credits", CommitKind.CREDIT)):
        for item in reader.children(key):
            commit = commit_create_from_wire(item, customer=customer, contract=contract, kind=kind)
            remember_temporary_id(commit_ids, item, commit)
    for item in reader.children("scheduled_charges"):
        scheduled_charge_create_from_wire(item, contract)
    services_terms_create(reader, contract)  # discounts and professional services
    reporting_terms_create(reader, contract)  # spend trackers, reseller royalties
    temporary_ids = subscriptions_create_from_wire(reader, contract, "subscriptions")
    for key, kind in (
        ("recurring_commits", CommitKind.PREPAID),
        ("recurring_credits", CommitKind.CREDIT),
    ):
        for item in reader.children(key):
            recurring = recurring_create_from_wire(
                item, contract=contract, kind=kind, temporary_ids=temporary_ids
            )
            remember_temporary_id(commit_ids, item, recurring)
    for item in reader.children("overrides"):
        override_create_from_wire(item, contract, commit_ids)
    if reader.children("recurring_commits") or reader.children("recurring_credits"):
        from contracts.terms.issuance import contract_recurring_issue

        # Every period already begun has its commit or credit on the create's response.
        contract_recurring_issue(contract=contract, now=timezone.now())
    return contract


def remember_temporary_id(temporary_ids: dict[str, str], item: Reader, row: Any) -> None:
    """Note the temporary_id a commit, credit or recurring one was sent with, so a commit-
    specific override of the same payload can name it."""
    if item.has("temporary_id"):
        temporary_ids[item.str("temporary_id", max_length=200)] = str(row.public_id)


def subscriptions_create_from_wire(reader: Reader, contract: Contract, key: str) -> dict[str, str]:
    """The subscriptions of a create (or an add_subscriptions edit); returns their
    temporary_id -> id map, for recurring items of the same payload to refer to them."""
    from contracts.terms.subscription_input import subscription_create_from_wire

    temporary_ids: dict[str, str] = {}
    for item in reader.children(key):
        sub = subscription_create_from_wire(item, contract=contract)
        if item.has("temporary_id"):
            temporary_ids[item.str("temporary_id", max_length=200)] = str(sub.public_id)
    return temporary_ids


def _threshold(reader: Reader, key: str) -> dict[str, Any] | None:
    from contracts.terms.thresholds import prepaid_threshold_from_wire, spend_threshold_from_wire

    child = reader.child(key)
    if child is None:
        return None
    if key == "spend_threshold_configuration":
        return spend_threshold_from_wire(child)
    return prepaid_threshold_from_wire(child)


# --- ledger upkeep -----------------------------------------------------------------------

# Expiry and rollover live with the ledger; re-exported here for the periodic task.
segments_expire = ledger.segments_expire
