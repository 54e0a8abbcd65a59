"""Contract datasets beside `contracts`: its spend trackers (with what each accumulated in its
billing period as of the end of the range, or now) and its reseller royalties.

Amounts are in the contract's credit type unit (USD cents by default), named by the
`credit_type` column; reports.datasets.major_units adds them in major units (dollars). The date
range selects the trackers of contracts that overlap it, and the royalties that overlap it.
"""

from datetime import datetime, timedelta
from functools import cache

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from contracts.models import Contract, ResellerRoyalty, SpendTracker
from contracts.terms.reseller_royalties import OPTION_KEYS
from contracts.terms.spend_accumulated import trackers_accumulated
from invoicing.models import Invoice
from pricing.models import USD_CENTS_ID, CreditType
from reports.datasets.base import Filters, changed, columns, overlapping, queryset_dataset

OPTION_COLUMNS = tuple(key for keys in OPTION_KEYS.values() for key in keys)


def _as_of(filters: Filters) -> datetime:
    """The end of the range (the last moment before `ending_before`), else now."""
    if filters.as_of is not None:
        return filters.as_of
    if filters.ending_before is not None:
        return filters.ending_before - timedelta(microseconds=1)
    return timezone.now()


@cache  # credit types cannot be renamed: one query per process
def _default_unit_name() -> str:
    found = CreditType.objects.filter(public_id=USD_CENTS_ID).values_list("name", flat=True)
    return found.first() or "USD (cents)"


def _unit_name(contract: Contract) -> str:
    card = contract.rate_card
    if card is not None and card.fiat_credit_type_id:
        return card.fiat_credit_type.name
    return _default_unit_name()


def _trackers(filters: Filters) -> QuerySet[SpendTracker]:
    qs = SpendTracker.objects.select_related(
        "contract__customer", "contract__rate_card__fiat_credit_type", "credit_type"
    )
    qs = overlapping(qs, filters, "contract__starting_at", "contract__ending_before")
    if filters.customer_pk is not None:
        qs = qs.filter(contract__customer_id=filters.customer_pk)
    if filters.incremental:
        # What a tracker accumulated changes with its contract's invoices, not its own row.
        invoices = Invoice.objects.filter(contract=OuterRef("contract")).filter(
            changed(filters, "updated_at")
        )
        qs = qs.filter(Q(changed(filters, "created_at", "archived_at")) | Q(Exists(invoices)))
    return qs


def _tracker_row(tracker: SpendTracker, filters: Filters) -> tuple:
    at = _as_of(filters)
    contract = tracker.contract
    accumulated = trackers_accumulated(contract, [tracker], at)[tracker.pk]
    period = accumulated.period if accumulated is not None else None
    return (
        str(tracker.public_id), str(contract.public_id), str(contract.customer.public_id),
        contract.customer.name, tracker.alias, str(tracker.credit_type.public_id),
        tracker.credit_type.name, tracker.reset_frequency, tracker.applicable_spend_specifiers,
        accumulated.amount if accumulated is not None else None,
        period.start if period else None, period.end if period else None, at,
        tracker.created_at, tracker.archived_at,
    )  # fmt: skip


SPEND_TRACKERS = queryset_dataset(
    name="spend_trackers",
    label="Contract spend trackers",
    description=(
        "One row per spend tracker of a contract: its specifiers as sent, and the commit "
        "purchases they count on the contract's invoices (void ones left out) in its billing "
        "period as of the end of the range (or now), in credit_type."
    ),
    columns=columns(
        """
        tracker_id contract_id customer_id customer_name alias credit_type_id credit_type
        reset_frequency applicable_spend_specifiers:json accumulated_spend:decimal
        period_starting_at:datetime period_ending_before:datetime as_of:datetime
        created_at:datetime archived_at:datetime
        """
    ),
    queryset=_trackers,
    row=_tracker_row,
)


def _royalties(filters: Filters) -> QuerySet[ResellerRoyalty]:
    qs = ResellerRoyalty.objects.select_related(
        "contract__customer", "contract__rate_card__fiat_credit_type"
    )
    qs = overlapping(qs, filters, "starting_at", "ending_before")
    if filters.customer_pk is not None:
        qs = qs.filter(contract__customer_id=filters.customer_pk)
    if filters.incremental:
        qs = qs.filter(changed(filters, "created_at"))
    return qs


def _royalty_row(royalty: ResellerRoyalty, filters: Filters) -> tuple:
    contract = royalty.contract
    options = {**royalty.aws_options, **royalty.gcp_options}
    return (
        str(royalty.public_id), str(contract.public_id), str(contract.customer.public_id),
        contract.customer.name, royalty.reseller_type, royalty.fraction,
        royalty.netsuite_reseller_id, royalty.starting_at, royalty.ending_before,
        royalty.applicable_product_ids, royalty.applicable_product_tags,
        *(options.get(key) for key in OPTION_COLUMNS), _unit_name(contract),
        royalty.reseller_contract_value, royalty.created_at,
    )  # fmt: skip


RESELLER_ROYALTIES = queryset_dataset(
    name="reseller_royalties",
    label="Contract reseller royalties",
    description=(
        "One row per reseller royalty segment of a contract, as sent: the reseller's share "
        "(fraction) of what the products it applies to bill while it is in force. Reporting "
        "only: the customer is billed the same."
    ),
    columns=columns(
        f"""
        royalty_id contract_id customer_id customer_name reseller_type fraction:decimal
        netsuite_reseller_id starting_at:datetime ending_before:datetime
        applicable_product_ids:json applicable_product_tags:json {" ".join(OPTION_COLUMNS)}
        credit_type reseller_contract_value:decimal created_at:datetime
        """
    ),
    queryset=_royalties,
    row=_royalty_row,
)
