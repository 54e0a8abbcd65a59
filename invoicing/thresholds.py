"""Threshold billing: spend threshold charges and prepaid balance auto-recharge.

Evaluation (after ingest, after balance changes, and by a periodic sweep) refreshes the
contract's current usage statement, then:
- spend: when the statement's outstanding usage spend (usage and composite lines less what
  commits and credits already cover) reaches `threshold_amount`, a prepaid commit for that
  outstanding amount is granted and invoiced, and drawing it down brings outstanding spend to 0;
- prepaid balance: when what the contract's prepaid commits and credits make available falls
  below `threshold_amount`, a prepaid commit tops it up to `recharge_to_amount`, invoiced.

Each crossing is one ThresholdCharge (numbered per contract and kind, unique), made under the
contract's row lock, so repeated or concurrent evaluations charge a crossing once. With a
payment gate (STRIPE or EXTERNAL) the commit stays unusable until `payment_gate_mark_paid`;
`payment_gate_mark_failed` voids the invoice and disables the configuration. Threshold
invoices are SCHEDULED invoices with one COMMIT_PURCHASE line, finalized when issued.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.money import round_line
from billing_console.lib.periods import Period
from contracts.models import Contract, ThresholdCharge, ThresholdChargeStatus, ThresholdKind
from contracts.terms.threshold_billing import (
    contracts_with_thresholds,
    next_sequence,
    pending_charge,
    prepaid_balance,
    threshold_charge_fail,
    threshold_charge_release,
    threshold_commit_create,
    threshold_config,
)
from contracts.wire.write import number
from customers.selectors import customers_named
from invoicing.models import Invoice, InvoiceType, LineItem, LineType
from invoicing.services import (
    contract_credit_type,
    contract_statement_periods,
    invoice_compute_usage,
    invoice_finalize,
    invoice_void,
    line_places,
)
from webhooks.services import event_publish

EVENT_THRESHOLD_REACHED = "payment_gate.threshold_reached"
EVENT_EXTERNAL_INITIATE = "payment_gate.external_initiate"
EVENT_PAYMENT_STATUS = "payment_gate.payment_status"
NOT_A_THRESHOLD_INVOICE = "invoice_id: invoice {id} is not a threshold charge invoice."
CHARGE_FAILED = "invoice_id: the payment of invoice {id} already failed; the charge is void."
SPEND_LINES = ("USAGE", "COMPOSITE", "APPLIED_COMMIT", "APPLIED_CREDIT")


def current_period(contract: Contract, now: datetime) -> Period | None:
    periods = contract_statement_periods(contract, now)
    if periods and periods[-1].start <= now < periods[-1].end:
        return periods[-1]
    return None


def outstanding_spend(invoice: Invoice) -> Decimal:
    """Usage spend on the statement not yet covered by a commit or credit (never negative)."""
    total = sum(
        (line.total for line in invoice.lines.all() if line.type in SPEND_LINES), Decimal(0)
    )
    return max(total, Decimal(0))


def _free_timestamp(contract: Contract, at: datetime) -> datetime:
    """Invoices are unique per contract, type and period start: step past a taken moment."""
    while (
        Invoice.objects.filter(contract=contract, type=InvoiceType.SCHEDULED, period_start=at)
        .exclude(status="VOID")
        .exists()
    ):
        at += timedelta(microseconds=1)
    return at


def _threshold_invoice(contract: Contract, charge: ThresholdCharge, at: datetime) -> Invoice:
    commit = charge.commit
    assert commit is not None
    at = _free_timestamp(contract, at)
    invoice = Invoice.objects.create(
        customer=contract.customer, contract=contract, credit_type=contract_credit_type(contract),
        type=InvoiceType.SCHEDULED, period_start=at, period_end=at, issued_at=at,
        subtotal=charge.invoice_amount, total=charge.invoice_amount, computed_at=timezone.now(),
    )  # fmt: skip
    LineItem.objects.create(
        invoice=invoice, type=LineType.COMMIT_PURCHASE, name=commit.name, product=commit.product,
        starting_at=at, ending_before=at, quantity=Decimal(1), unit_price=charge.invoice_amount,
        total_unrounded=charge.invoice_amount, total=charge.invoice_amount,
        commit_public_id=commit.public_id,
        explanation={
            "threshold_charge_id": str(charge.public_id), "threshold_type": charge.kind,
            "sequence": charge.sequence, "commit_amount": str(charge.amount),
        },
    )  # fmt: skip
    return invoice_finalize(invoice=invoice)


def _summary(charge: ThresholdCharge, invoice: Invoice) -> str:
    name = charge.contract.customer.name
    observed, threshold = number(charge.observed), number(charge.threshold_amount)
    if charge.kind == ThresholdKind.SPEND:
        what = f"{name}: spend {observed} reached the threshold of {threshold}"
    else:
        what = f"{name}: prepaid balance {observed} fell below {threshold}"
    gate = "" if charge.payment_gate_type == "NONE" else " (released when paid)"
    return (
        f"{what}; a commit of {number(charge.amount)} is granted{gate}, "
        f"invoice {invoice.number} for {number(charge.invoice_amount)}."
    )


def _payload(charge: ThresholdCharge, **extra: Any) -> dict[str, Any]:
    contract = charge.contract
    return {
        "customer_id": str(contract.customer.public_id),
        "contract_id": str(contract.public_id),
        "workflow_id": str(charge.public_id),
        "threshold_type": charge.kind,
        "sequence": charge.sequence,
        "threshold_amount": number(charge.threshold_amount),
        "observed_amount": number(charge.observed),
        "commit_id": str(charge.commit.public_id) if charge.commit else None,
        "commit_amount": number(charge.amount),
        "invoice_id": str(charge.invoice_public_id) if charge.invoice_public_id else None,
        "invoice_total": number(charge.invoice_amount),
        "payment_gate_type": charge.payment_gate_type,
        **extra,
    }


def _charge(
    contract: Contract, kind: str, config: dict[str, Any], *, observed: Decimal,
    amount: Decimal, now: datetime,
) -> ThresholdCharge:  # fmt: skip
    gate = config["payment_gate_config"]["payment_gate_type"]
    discount = config.get("discount_configuration") or {}
    fraction = Decimal(str(discount.get("payment_fraction", 1)))
    places = line_places(contract_credit_type(contract))
    sequence = next_sequence(contract, kind)
    commit = threshold_commit_create(
        contract=contract, kind=kind, config=config, sequence=sequence, amount=amount, at=now
    )
    charge = ThresholdCharge.objects.create(
        contract=contract, kind=kind, sequence=sequence,
        status=ThresholdChargeStatus.PENDING_PAYMENT, payment_gate_type=gate, observed=observed,
        threshold_amount=Decimal(str(config["threshold_amount"])), amount=amount,
        invoice_amount=round_line(amount * fraction, places), commit=commit,
    )  # fmt: skip
    invoice = _threshold_invoice(contract, charge, now)
    charge.invoice_public_id = invoice.public_id
    charge.save(update_fields=["invoice_public_id"])
    if gate == "NONE":
        threshold_charge_release(charge=charge, at=now)
    payload = _payload(charge, status=charge.status, summary=_summary(charge, invoice))
    event_publish(
        EVENT_THRESHOLD_REACHED, payload, key=f"threshold_charge:{charge.public_id}:reached"
    )
    if gate == "EXTERNAL":
        event_publish(
            EVENT_EXTERNAL_INITIATE, _payload(charge),
            key=f"threshold_charge:{charge.public_id}:external_initiate",
        )  # fmt: skip
    return charge


def _evaluate_spend(
    contract: Contract, statement: Invoice, now: datetime
) -> ThresholdCharge | None:
    config = threshold_config(contract, ThresholdKind.SPEND)
    if config is None or pending_charge(contract, ThresholdKind.SPEND) is not None:
        return None
    outstanding = outstanding_spend(statement)
    if outstanding <= 0 or outstanding < Decimal(str(config["threshold_amount"])):
        return None
    return _charge(
        contract, ThresholdKind.SPEND, config, observed=outstanding, amount=outstanding, now=now
    )


def _evaluate_prepaid(contract: Contract, now: datetime) -> ThresholdCharge | None:
    config = threshold_config(contract, ThresholdKind.PREPAID_BALANCE)
    if config is None or pending_charge(contract, ThresholdKind.PREPAID_BALANCE) is not None:
        return None
    balance = prepaid_balance(contract=contract, config=config, at=now)
    if balance >= Decimal(str(config["threshold_amount"])):
        return None
    places = line_places(contract_credit_type(contract))
    amount = round_line(Decimal(str(config["recharge_to_amount"])) - balance, places)
    return _charge(
        contract, ThresholdKind.PREPAID_BALANCE, config, observed=balance, amount=amount, now=now
    )


@transaction.atomic
def contract_thresholds_evaluate(
    *, contract: Contract, now: datetime | None = None
) -> list[ThresholdCharge]:
    """Charge whatever threshold the contract has crossed, once per crossing."""
    now = now or timezone.now()
    contract = Contract.objects.select_for_update().select_related("customer").get(pk=contract.pk)
    if contract.archived_at is not None or contract.starting_at > now:
        return []
    if contract.ending_before is not None and contract.ending_before <= now:
        return []
    if not (
        threshold_config(contract, ThresholdKind.SPEND)
        or threshold_config(contract, ThresholdKind.PREPAID_BALANCE)
    ):
        return []
    period = current_period(contract, now)
    charges = []
    if period is not None:
        try:
            statement = invoice_compute_usage(contract=contract, period=period)
        except Exception as error:  # recorded on the draft; no threshold moves on bad data
            from invoicing.failures import statement_failed

            statement_failed(contract=contract, period=period, error=error)
            return []
        spend = _evaluate_spend(contract, statement, now)
        if spend is not None:
            charges.append(spend)
            if spend.status == ThresholdChargeStatus.RELEASED:
                invoice_compute_usage(contract=contract, period=period)  # draw the new commit
    recharge = _evaluate_prepaid(contract, now)
    if recharge is not None:
        charges.append(recharge)
        if period is not None and recharge.status == ThresholdChargeStatus.RELEASED:
            invoice_compute_usage(contract=contract, period=period)
    return charges


def contracts_to_evaluate(*, customer_refs: list[str] | None = None) -> list[int]:
    """Ids of live contracts with an enabled threshold configuration; with `customer_refs`
    (customer ids or ingest aliases, as events name them) only those customers' contracts."""
    contracts = Contract.objects.filter(archived_at__isnull=True).filter(
        contracts_with_thresholds()
    )
    if customer_refs is not None:
        customers = customers_named(customer_refs)
        contracts = contracts.filter(customer__in=customers)
    return list(contracts.order_by("pk").values_list("pk", flat=True).distinct())


def _charge_for(invoice: Invoice) -> ThresholdCharge:
    charge = (
        ThresholdCharge.objects.select_for_update()
        .filter(invoice_public_id=invoice.public_id)
        .first()
    )
    if charge is None:
        raise ApplicationError(NOT_A_THRESHOLD_INVOICE.format(id=invoice.public_id), "not_found")
    return charge


@transaction.atomic
def payment_gate_mark_paid(*, invoice: Invoice, now: datetime | None = None) -> ThresholdCharge:
    """The provider-neutral payment gate: the threshold invoice is paid, so its commit is
    released (idempotent). Stripe and external gateways call this."""
    now = now or timezone.now()
    charge = _charge_for(invoice)
    if charge.status == ThresholdChargeStatus.FAILED:
        raise ApplicationError(CHARGE_FAILED.format(id=invoice.public_id), "conflict")
    if not threshold_charge_release(charge=charge, at=now):
        return charge
    event_publish(
        EVENT_PAYMENT_STATUS, _payload(charge, payment_status="paid"),
        key=f"threshold_charge:{charge.public_id}:payment_status",
    )  # fmt: skip
    contract_thresholds_evaluate(contract=charge.contract, now=now)  # draws the released commit
    return charge


@transaction.atomic
def payment_gate_mark_failed(*, invoice: Invoice, now: datetime | None = None) -> ThresholdCharge:
    """Payment failed: the commit is never released, the invoice is voided and the
    configuration disabled (as Metronome does)."""
    charge = _charge_for(invoice)
    if charge.status != ThresholdChargeStatus.PENDING_PAYMENT:
        return charge  # already paid or already failed: nothing to undo
    threshold_charge_fail(charge=charge, at=now)
    invoice_void(invoice=invoice)
    event_publish(
        EVENT_PAYMENT_STATUS, _payload(charge, payment_status="failed"),
        key=f"threshold_charge:{charge.public_id}:payment_status",
    )  # fmt: skip
    return charge
