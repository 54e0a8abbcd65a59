"""Finalizing a usage statement before its period ends (the console's "Finalize early").

The rule (README, "Finalizing before the period ends"): a statement whose period is still open
is never finalized by a single click. It is refused unless the request names the part of the
period being finalized (`confirm_period`, typed by the user), and even then only when cutting
the period in two cannot change what the period bills. Confirmed, the statement is cut:

- it now covers the period's start up to the cut-off, is recomputed with final usage, numbered
  and sent to the billing provider, as the close would;
- the rest of the period, cut-off to end, gets a new draft statement at once, which the close
  finalizes after the period ends (the contract's statements are read back cut there:
  invoicing.statement_pieces), so no usage goes unbilled and none is billed twice.

The cut-off is the last UTC midnight at least the close's grace (INVOICE_FINALIZE_GRACE_HOURS)
ago: events arrive up to that late, and one timestamped before the cut-off but ingested after
the finalization would belong to a finalized invoice and never be billed.

Commits and credits draw in statement order: the finalized part draws first, the draft draws
from what is left (its ledger reads the finalized part's deductions as earlier ones).

Refused outright (the close bills such a period whole): tiered prices or tiered overrides
(the tiers would start again at the cut-off), usage measured by a maximum, a distinct count,
a latest value or a SQL metric (two statements would bill the same peak twice), quantity
rounding (rounded twice), a postpaid commit trued up in the period (its shortfall is reckoned
over the whole period), and account hierarchies whose statements are consolidated (the
parent's invoice covers whole periods).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period, iter_periods
from contracts.models import AccessSegment, CommitKind, Contract
from contracts.terms.hierarchy import consolidates_onto_parent
from invoicing.close import invoices_close
from invoicing.failures import statement_failed
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.rating.rates import rates_in, state_at
from invoicing.rating.terms import Cards
from invoicing.services import invoice_compute_usage

NOT_CONFIRMED = (
    "confirm_period: the period of this invoice is still open (until {end} UTC). To finalize "
    "it early, type the period it will cover: {label}."
)
REFUSED = "id: invoice {id} cannot be finalized before its period ends ({end} UTC): {reason}."
NOT_COMPUTED = "id: invoice {id} could not be computed: {error}"
TOO_EARLY = (
    "usage can arrive up to {hours} hours late, so no part of this period can be finalized "
    "before {earliest} UTC"
)
CONSOLIDATED = "its usage is billed on a consolidated invoice, which covers whole periods"
TIERED = "{what} is priced in tiers over the whole period; cut in two, the tiers would start again"
NOT_ADDITIVE = (
    "{what} bills the {aggregation} of its usage over the period; two statements would bill "
    "it twice"
)
SQL = "{what} is measured by a SQL billable metric, which need not add up over two statements"
ROUNDED = "{what} rounds its quantity once per statement; two statements would round it twice"
TRUE_UP = "the postpaid commit {what} is trued up in this period, over the whole period's usage"
CUSTOM = "{what} has a custom rate"
AGGREGATIONS = {"MAX": "maximum", "UNIQUE": "distinct count", "LATEST": "latest value"}


@dataclass(frozen=True)
class EarlyFinalize:
    """What finalizing an open statement now would do."""

    period: Period  # the statement's whole period, still open
    cut: datetime  # where the finalized statement ends and the new draft starts
    refused: str  # why it cannot be finalized early ("" when it can)
    close_after: datetime  # when the close finalizes the new draft (period end + grace)

    @property
    def label(self) -> str:
        """The part finalized, as the user types it to confirm: "Dec 1, 2026 - Dec 3, 2026"."""
        return f"{day_text(self.period.start)} - {day_text(self.cut)}"

    @property
    def grace_hours(self) -> int:
        return settings.INVOICE_FINALIZE_GRACE_HOURS

    @property
    def finalized(self) -> Period:
        return Period(self.period.start, self.cut)

    @property
    def rest(self) -> Period:
        return Period(self.cut, self.period.end)


def day_text(moment: datetime) -> str:
    """The day in UTC: Dec 3, 2026."""
    moment = moment.astimezone(UTC)
    return f"{moment:%b} {moment.day}, {moment.year}"


def moment_text(moment: datetime) -> str:
    """The moment in UTC as the invoice page shows periods: Dec 3, 2026 00:00."""
    return f"{day_text(moment)} {moment.astimezone(UTC):%H:%M}"


def _grace() -> timedelta:
    return timedelta(hours=settings.INVOICE_FINALIZE_GRACE_HOURS)


def _midnight(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def early_finalize_plan(invoice: Invoice, now: datetime | None = None) -> EarlyFinalize | None:
    """What finalizing `invoice` now would do; None when its period has ended (or it is not
    a statement), so finalizing it is the close's ordinary finalization."""
    now = now or timezone.now()
    if invoice.type == InvoiceType.SCHEDULED or invoice.period_end <= now:
        return None
    period = Period(invoice.period_start, invoice.period_end)
    cut = _midnight(now - _grace())
    reason = refusal(invoice, period)
    if not reason and cut <= period.start:
        earliest = _midnight(period.start) + timedelta(days=1) + _grace()
        hours = settings.INVOICE_FINALIZE_GRACE_HOURS
        reason = TOO_EARLY.format(hours=hours, earliest=moment_text(earliest))
    return EarlyFinalize(period, max(cut, period.start), reason, period.end + _grace())


def refusal(invoice: Invoice, period: Period) -> str:
    """Why cutting `invoice`'s period in two could change what it bills ("" when it cannot)."""
    contract = invoice.contract
    if invoice.type != InvoiceType.USAGE or contract.invoice_consolidation_type == "CONCATENATE":
        return CONSOLIDATED
    if contract.parent_id is not None and consolidates_onto_parent(contract):
        return CONSOLIDATED
    return _pricing_refusal(contract, period) or _true_up_refusal(contract, period)


def _pricing_refusal(contract: Contract, period: Period) -> str:
    """A price, override or quantity rule of the period that does not add up across a cut."""
    for override in contract.overrides.filter(archived_at__isnull=True).select_related("product"):
        if override.starting_at >= period.end or (
            override.ending_before is not None and override.ending_before <= period.start
        ):
            continue
        new_rate = (override.overwrite_rate or {}).get("rate_type")
        if override.type == "TIERED" or new_rate == "TIERED":
            name = override.product.name if override.product_id else "a product"
            return TIERED.format(what=f"{name} (by an override)")
    if contract.rate_card is None:
        return ""
    terms = Cards().held(contract.rate_card).terms
    for rate in rates_in(terms, period.start, period.end):
        name = terms.products[rate.product_id].name
        if rate.rate_type == "TIERED" or (rate.commit_rate or {}).get("rate_type") == "TIERED":
            return TIERED.format(what=name)
        if rate.rate_type == "CUSTOM":
            return CUSTOM.format(what=name)
        versions = [state_at(terms, rate.product_id, period.start)] + [
            v for v in terms.versions[rate.product_id] if period.contains(v.starting_at)
        ]
        for version in versions:
            metric = version.billable_metric
            if metric is not None and metric.aggregation_type == "":
                return SQL.format(what=name)
            if metric is not None and metric.aggregation_type in AGGREGATIONS:
                aggregation = AGGREGATIONS[metric.aggregation_type]
                return NOT_ADDITIVE.format(what=name, aggregation=aggregation)
            if metric is not None and version.quantity_rounding:
                return ROUNDED.format(what=name)
    return ""


def _true_up_refusal(contract: Contract, period: Period) -> str:
    segment = (
        AccessSegment.objects.filter(
            commit__contract=contract,
            commit__kind=CommitKind.POSTPAID,
            commit__archived_at__isnull=True,
            ending_before__gt=period.start,
            ending_before__lte=period.end,
        )
        .select_related("commit__product")
        .first()
    )
    if segment is None:
        return ""
    return TRUE_UP.format(what=segment.commit.name or segment.commit.product.name)


def confirms(typed: str | None, label: str) -> bool:
    """Whether the user typed the period: case, spaces, commas and dashes do not matter."""

    def plain(text: str) -> str:
        return re.sub(r"[^0-9a-z]", "", text.lower())

    return bool(typed) and plain(typed or "") == plain(label)


def finalize_open_period(*, invoice: Invoice, confirm_period: str | None) -> Invoice:
    """Finalize the open statement `invoice` (locked by invoicing.services.invoice_finalize,
    in its transaction) up to the cut-off, and give the rest of its period a draft."""
    plan = early_finalize_plan(invoice)
    end = moment_text(invoice.period_end)
    if plan is not None and plan.refused:
        raise ApplicationError(
            REFUSED.format(id=invoice.public_id, end=end, reason=plan.refused), "conflict"
        )
    if plan is not None and not confirms(confirm_period, plan.label):
        raise ApplicationError(NOT_CONFIRMED.format(end=end, label=plan.label))
    if plan is not None:
        invoice.period_end = invoice.issued_at = plan.cut
        invoice.save(update_fields=["period_end", "issued_at", "updated_at"])
    closed = [i for i in invoices_close(invoice_ids=[invoice.pk]) if i.pk == invoice.pk]
    if not closed:
        invoice.refresh_from_db()
        raise ApplicationError(NOT_COMPUTED.format(id=invoice.public_id, error=invoice.error))
    if plan is not None:
        _rest_of_period(invoice.contract, plan.rest)
    return closed[0]


def _rest_of_period(contract: Contract, rest: Period) -> Invoice | None:
    """The draft of the rest of the period, computed after the finalized part drew (so it
    draws from what is left); a failure is recorded on it, never left without a draft."""
    try:
        return invoice_compute_usage(contract=contract, period=rest)
    except Exception as error:  # recorded on an empty draft, which the close will not finalize
        return statement_failed(contract=contract, period=rest, error=error)


def cut_neighbours(invoice: Invoice) -> tuple[Invoice | None, Invoice | None]:
    """For a statement of a period finalized early: (its finalized first part, when it is the
    rest; the rest, when it is the finalized part). (None, None) for any other invoice."""
    if invoice.type != InvoiceType.USAGE or invoice.status == InvoiceStatus.VOID:
        return None, None
    live = Invoice.objects.filter(contract_id=invoice.contract_id, type=InvoiceType.USAGE).exclude(
        status=InvoiceStatus.VOID
    )
    regular = _regular_ends(invoice)
    before = None
    if invoice.period_start not in regular:
        before = live.filter(
            period_end=invoice.period_start, status=InvoiceStatus.FINALIZED
        ).first()
    after = None
    if invoice.status == InvoiceStatus.FINALIZED and invoice.period_end not in regular:
        after = live.filter(period_start=invoice.period_end).first()
    return before, after


def _regular_ends(invoice: Invoice) -> set[datetime]:
    """The schedule's period boundaries around the invoice (and the contract's own start and
    end): where statements end when no period was cut."""
    contract = invoice.contract
    edges = {contract.starting_at, contract.ending_before}
    for period in iter_periods(
        contract.usage_statement_anchor,
        contract.usage_statement_frequency,
        until=invoice.period_end + timedelta(microseconds=1),
    ):
        edges |= {period.start, period.end}
    return {edge for edge in edges if edge is not None}
