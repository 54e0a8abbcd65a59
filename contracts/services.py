"""Contract writes: create a contract with its commits, credits, overrides and charges.

Input is Metronome-shaped (the API passes the request body through); every field is validated
here with errors naming its path, and the whole write is atomic.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_fields_validate
from billing_console.wire import Reader
from contracts import ledger
from contracts.billing_provider import contract_billing_configuration_from_wire
from contracts.models import (
    AccessSegment,
    Commit,
    CommitInvoiceItem,
    CommitKind,
    Contract,
    Frequency,
    LedgerEntry,
    LedgerEntryType,
    Override,
    OverrideType,
    RecurringCommit,
    ScheduledCharge,
    ScheduledChargeItem,
)
from customers.models import Customer
from pricing.models import Product, RateCard

UNIQUENESS_KEY_REUSED = (
    "uniqueness_key: '{key}' was already used for another {what} of this customer."
)


def _product(reader: Reader, key: str, *, required: bool = True) -> Product | None:
    public_id = reader.str(key, required=required, max_length=64)
    if not public_id:
        return None
    product = Product.objects.filter(public_id=_uuid(reader, key, public_id)).first()
    if product is None:
        raise reader.fail(key, f"no product with id {public_id}.")
    return product


def _uuid(reader: Reader, key: str, value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise reader.fail(key, f"'{value}' is not a valid id.") from None


def _window(
    reader: Reader,
    *,
    start_key: str = "starting_at",
    end_key: str = "ending_before",
    end_required: bool = False,
) -> tuple[datetime, datetime | None]:
    start = reader.datetime(start_key, required=True)
    end = reader.datetime(end_key, required=end_required)
    if end is not None and end <= start:
        raise reader.fail(end_key, f"must be after {start_key}.")
    return start, end


# --- commits and credits ---------------------------------------------------------------


def _segments(commit: Commit, schedule: Reader) -> None:
    for item in schedule.children("schedule_items", required=True):
        start, end = _window(item, end_required=True)
        amount = item.decimal("amount", required=True, minimum=Decimal(0))
        segment = AccessSegment.objects.create(
            commit=commit, amount=amount, starting_at=start, ending_before=end
        )
        LedgerEntry.objects.create(
            commit=commit,
            segment=segment,
            type=LedgerEntryType.SEGMENT_START,
            amount=amount,
            timestamp=start,
        )
    if not commit.segments.exists():
        raise schedule.fail("schedule_items", "needs at least one item.")


def _invoice_items(commit: Commit, schedule: Reader) -> None:
    for item in schedule.children("schedule_items"):
        timestamp = item.datetime("timestamp", required=True)
        unit_price = item.decimal("unit_price", minimum=Decimal(0))
        quantity = item.decimal("quantity", minimum=Decimal(0))
        amount = item.decimal("amount", minimum=Decimal(0))
        if amount is None:
            if unit_price is None:
                raise item.fail("amount", "is required (or unit_price and quantity).")
            amount = unit_price * (quantity if quantity is not None else Decimal(1))
        CommitInvoiceItem.objects.create(
            commit=commit,
            timestamp=timestamp,
            amount=amount,
            quantity=quantity if quantity is not None else Decimal(1),
            unit_price=unit_price if unit_price is not None else amount,
        )


def commit_create_from_wire(
    reader: Reader, *, customer: Customer, contract: Contract | None, kind: str | None = None
) -> Commit:
    """Create one commit (kind from `type`) or credit (kind=CREDIT) from its wire dict."""
    if kind is None:
        kind = reader.choice("type", (CommitKind.PREPAID, CommitKind.POSTPAID), required=True)
    commit = Commit(
        customer=customer,
        contract=contract,
        kind=kind,
        product=_product(reader, "product_id"),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        priority=reader.decimal("priority"),
        applicable_product_ids=[
            _uuid(reader, "applicable_product_ids", p)
            for p in reader.str_list("applicable_product_ids")
        ],
        applicable_product_tags=reader.str_list("applicable_product_tags"),
        specifiers=_specifiers(reader, "specifiers"),
        rate_type=reader.choice("rate_type", ("COMMIT_RATE", "LIST_RATE"), default="LIST_RATE"),
        rollover_fraction=reader.decimal("rollover_fraction", minimum=Decimal(0)),
        custom_fields=reader.str_map("custom_fields"),
        uniqueness_key=reader.str("uniqueness_key", max_length=128) or None,
    )
    if commit.rollover_fraction is not None and commit.rollover_fraction > 1:
        raise reader.fail("rollover_fraction", "must be between 0 and 1.")
    invoice_schedule = reader.child("invoice_schedule")
    if invoice_schedule is not None:
        commit.invoice_schedule = invoice_schedule.data
        commit.do_not_invoice = bool(invoice_schedule.bool("do_not_invoice", False))
    custom_fields_validate(
        entity="contract_credit" if kind == CommitKind.CREDIT else "commit",
        values=commit.custom_fields,
    ) if commit.custom_fields else None
    try:
        with transaction.atomic():
            commit.save()
    except IntegrityError:
        raise ApplicationError(
            UNIQUENESS_KEY_REUSED.format(key=commit.uniqueness_key, what="commit"), "conflict"
        ) from None
    access = reader.child(
        "access_schedule", required=kind != CommitKind.POSTPAID or not reader.has("amount")
    )
    if access is not None:
        commit.access_credit_type = access_credit_type(access, contract)
        if commit.access_credit_type is not None:
            commit.save(update_fields=["access_credit_type"])
        _segments(commit, access)
    elif kind == CommitKind.POSTPAID and reader.has("amount"):
        raise reader.fail("access_schedule", "is required.")
    if invoice_schedule is not None:
        _invoice_items(commit, invoice_schedule)
    return commit


def access_credit_type(access: Reader, contract: Contract | None) -> Any:
    """The custom pricing unit an access schedule's amounts are in, or None for the contract's
    fiat credit type. Refused: a fiat type other than the contract's, and QUANTITY access
    (drawing units rather than spend is not rated)."""
    from pricing.models import CreditType

    if access.has("access_type") and access.choice("access_type", ("SPEND", "QUANTITY")) != "SPEND":
        raise access.fail("access_type", "only SPEND access is supported.")
    public_id = access.str("credit_type_id", max_length=64)
    if not public_id:
        return None
    credit_type = CreditType.objects.filter(
        public_id=_uuid(access, "credit_type_id", public_id)
    ).first()
    if credit_type is None:
        raise access.fail("credit_type_id", f"no credit type with id {public_id}.")
    if not credit_type.is_fiat:
        return credit_type
    card = contract.rate_card if contract is not None else None
    fiat_id = card.fiat_credit_type_id if card is not None else None
    if (credit_type.currency_code == "USD" and fiat_id is None) or credit_type.pk == fiat_id:
        return None
    raise access.fail(
        "credit_type_id", "must be the contract's fiat credit type or a custom pricing unit."
    )


COMMIT_ID_KEYS = ("commit_ids", "recurring_commit_ids", "any_commit_or_credit_ids")
SPECIFIER_SCOPE = (
    "product_id",
    "product_tags",
    "pricing_group_values",
    "presentation_group_values",
)


@dataclass(frozen=True)
class CommitRefs:
    """What a commit-specific override's specifiers may name: the contract's commits, credits
    and recurring ones (and the customer's own commits), by id or by a temporary_id given to
    one of them in the same payload."""

    contract: Contract
    temporary_ids: dict[str, str] = field(default_factory=dict)


def _specifiers(
    reader: Reader, key: str, *, commits: CommitRefs | None = None
) -> list[dict[str, Any]]:
    """Commit and override specifiers; only a commit-specific override (`commits` given) names
    commits, and then together with a product, tags or group values, as Metronome documents."""
    out = []
    for item in reader.children(key):
        spec: dict[str, Any] = {}
        named = [k for k in COMMIT_ID_KEYS if item.has(k)]
        if named:
            if commits is None:
                raise item.fail(named[0], "only a commit-specific override names commits.")
            if not any(item.has(k) for k in SPECIFIER_SCOPE):
                raise item.fail(named[0], f"must be used with one of {', '.join(SPECIFIER_SCOPE)}.")
            if "any_commit_or_credit_ids" in named and len(named) > 1:
                raise item.fail(
                    "any_commit_or_credit_ids",
                    "is used instead of commit_ids and recurring_commit_ids, not with them.",
                )
            spec.update({k: _commit_ids(item, k, commits) for k in named})
        if item.has("billing_frequency"):
            raise item.fail("billing_frequency", "is not supported on specifiers.")
        if item.has("product_id"):
            spec["product_id"] = str(_product(item, "product_id").public_id)  # type: ignore[union-attr]
        for group in ("pricing_group_values", "presentation_group_values"):
            if item.has(group):
                spec[group] = item.str_map(group)
        if item.has("product_tags"):
            spec["product_tags"] = item.str_list("product_tags")
        out.append(spec)
    return out


def _commit_ids(item: Reader, key: str, refs: CommitRefs) -> list[str]:
    """The ids (temporary ids resolved) of the commits, credits or recurring ones `key` names;
    each must be one the contract can draw on."""
    ids = [_uuid(item, key, refs.temporary_ids.get(v, v)) for v in item.str_list(key)]
    contract = refs.contract
    commits = Commit.objects.filter(
        Q(contract=contract) | Q(contract__isnull=True, customer_id=contract.customer_id),
        public_id__in=ids,
    )
    recurring = RecurringCommit.objects.filter(contract=contract, public_id__in=ids)
    known: set[str] = set()
    if key != "recurring_commit_ids":
        known |= {str(i) for i in commits.values_list("public_id", flat=True)}
    if key != "commit_ids":
        known |= {str(i) for i in recurring.values_list("public_id", flat=True)}
    missing = [i for i in ids if i not in known]
    if missing:
        raise item.fail(key, f"no commit or credit {missing[0]} on this contract.")
    return ids


# --- overrides and scheduled charges -----------------------------------------------------


def _override_create(
    reader: Reader, contract: Contract, temporary_ids: dict[str, str] | None = None
) -> Override:
    """One override; `temporary_ids` maps the temporary_id of commits, credits and recurring
    ones created in the same payload to their ids (for commit-specific specifiers)."""
    start, end = _window(reader)
    kind = reader.choice("type", tuple(OverrideType.values), default="")
    commit_specific = bool(reader.bool("is_commit_specific", False))
    refs = CommitRefs(contract, temporary_ids or {}) if commit_specific else None
    override = Override(
        contract=contract,
        starting_at=start,
        ending_before=end,
        product=_product(reader, "product_id", required=False),
        applicable_product_tags=reader.str_list("applicable_product_tags"),
        override_specifiers=_specifiers(reader, "override_specifiers", commits=refs),
        multiplier=reader.decimal("multiplier", minimum=Decimal(0)),
        priority=reader.decimal("priority"),
        entitled=reader.bool("entitled"),
        is_commit_specific=commit_specific,
        target=reader.choice("target", ("COMMIT_RATE", "LIST_RATE")),
    )
    if override.target and not override.is_commit_specific:
        raise reader.fail(
            "target", "only a commit-specific override (is_commit_specific) has a target."
        )
    overwrite = reader.child("overwrite_rate")
    if overwrite is not None:
        override.overwrite_rate = _overwrite_rate(overwrite)
    tiers = reader.children("tiers")
    if tiers:
        override.tiers = [
            {
                "multiplier": str(t.decimal("multiplier", required=True, minimum=Decimal(0))),
                **({"size": str(t.decimal("size", positive=True))} if t.has("size") else {}),
            }
            for t in tiers
        ]
    override.type = kind or (
        OverrideType.OVERWRITE
        if overwrite is not None
        else OverrideType.TIERED
        if tiers
        else OverrideType.MULTIPLIER
    )
    if override.type == OverrideType.MULTIPLIER and override.multiplier is None:
        raise reader.fail("multiplier", "is required for a MULTIPLIER override.")
    if override.type == OverrideType.OVERWRITE and overwrite is None:
        raise reader.fail("overwrite_rate", "is required for an OVERWRITE override.")
    if override.type == OverrideType.TIERED and not tiers:
        raise reader.fail("tiers", "are required for a TIERED override.")
    if not (override.product or override.applicable_product_tags or override.override_specifiers):
        raise reader.fail(
            "override_specifiers",
            "an override needs a product_id, applicable_product_tags or override_specifiers.",
        )
    override.save()
    return override


def _overwrite_rate(reader: Reader) -> dict[str, Any]:
    rate_type = reader.choice(
        "rate_type", ("FLAT", "PERCENTAGE", "SUBSCRIPTION", "TIERED", "CUSTOM"), required=True
    )
    rate: dict[str, Any] = {"rate_type": rate_type}
    if rate_type == "TIERED":
        tiers = reader.children("tiers", required=True)
        rate["tiers"] = [
            {
                "price": str(t.decimal("price", required=True, minimum=Decimal(0))),
                **({"size": str(t.decimal("size", positive=True))} if t.has("size") else {}),
            }
            for t in tiers
        ]
    elif rate_type != "CUSTOM":
        rate["price"] = str(reader.decimal("price", required=True, minimum=Decimal(0)))
    if reader.has("credit_type_id"):
        raise reader.fail("credit_type_id", "an overwrite keeps the rate's credit type.")
    for key in ("quantity", "is_prorated", "custom_rate"):
        if reader.has(key):
            rate[key] = reader.raw(key)
    return rate


def _scheduled_charge_create(reader: Reader, contract: Contract) -> ScheduledCharge:
    charge = ScheduledCharge.objects.create(
        contract=contract,
        product=_product(reader, "product_id"),
        name=reader.str("name", max_length=200),
        description=reader.str("description"),
        custom_fields=reader.str_map("custom_fields"),
    )
    schedule = reader.child("schedule", required=True)
    items = schedule.children("schedule_items", required=True)  # type: ignore[union-attr]
    for item in items:
        unit_price = item.decimal("unit_price", minimum=Decimal(0))
        quantity = item.decimal("quantity", minimum=Decimal(0))
        amount = item.decimal("amount", minimum=Decimal(0))
        if amount is None:
            if unit_price is None:
                raise item.fail("amount", "is required (or unit_price and quantity).")
            amount = unit_price * (quantity if quantity is not None else Decimal(1))
        ScheduledChargeItem.objects.create(
            charge=charge,
            timestamp=item.datetime("timestamp", required=True),
            amount=amount,
            quantity=quantity if quantity is not None else Decimal(1),
            unit_price=unit_price if unit_price is not None else amount,
        )
    return charge


# --- contracts -------------------------------------------------------------------------


@transaction.atomic
def contract_create(*, customer: Customer, data: dict[str, Any]) -> Contract:
    """Create a contract and everything on it from a /v1/contracts/create body (with a
    package's terms first when it names a package_id or package_alias)."""
    from contracts.hierarchy import hierarchy_check, hierarchy_from_wire, transition_from_wire
    from contracts.packages import with_package
    from contracts.recurring import recurring_create_from_wire
    from contracts.usage_filters import usage_filter_from_wire

    data, package = with_package(data)
    reader = Reader(data)
    start, end = _window(reader)
    rate_card = None
    if reader.has("rate_card_id"):
        rate_card = RateCard.objects.filter(
            public_id=_uuid(reader, "rate_card_id", reader.str("rate_card_id")),
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
        _scheduled_charge_create(item, contract)
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
        _override_create(item, contract, commit_ids)
    if reader.children("recurring_commits") or reader.children("recurring_credits"):
        from contracts.issuance import contract_recurring_issue

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
    from contracts.subscriptions import subscription_create_from_wire

    temporary_ids: dict[str, str] = {}
    for item in reader.children(key):
        sub = subscription_create_from_wire(item, contract=contract)
        if item.has("temporary_id"):
            temporary_ids[item.str("temporary_id", max_length=200)] = str(sub.public_id)
    return temporary_ids


def _threshold(reader: Reader, key: str) -> dict[str, Any] | None:
    from contracts.thresholds import prepaid_threshold_from_wire, spend_threshold_from_wire

    child = reader.child(key)
    if child is None:
        return None
    if key == "spend_threshold_configuration":
        return spend_threshold_from_wire(child)
    return prepaid_threshold_from_wire(child)


# --- ledger upkeep -----------------------------------------------------------------------

# Expiry and rollover live with the ledger; re-exported here for the periodic task.
segments_expire = ledger.segments_expire
