"""Credit grants (Metronome 1.0 /v1/credits/*) as customer-level commits.

A grant with nothing paid is a customer-level CREDIT (contracts.terms.customer_commits); one with
paid_amount > 0 is a customer-level PREPAID commit whose invoice schedule bills the purchase on
the customer's contract in force at invoice_date (Metronome invoices what was paid). Either way
it draws down on the customer's contracts' usage invoices, plan-backed ones included, by the
rating core, in priority order; its ledger is the commit's (contracts.terms.ledger).
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing_console.api import ApplicationError, get_by_public_id
from billing_console.custom_fields import custom_fields_validate
from billing_console.wire import Reader
from contracts.models import Contract
from contracts.terms.commit_edits import commit_update_end_date
from contracts.terms.customer_commits import customer_commit_create
from contracts.wire.read import uuid_from_wire
from customers.selectors import customer_get
from invoicing.models import Invoice, InvoiceStatus, LineItem
from invoicing.services import contract_credit_type, contract_scheduled_invoices_sync, invoice_void
from plans.models import CreditGrant
from pricing.models import CreditType, Product
from pricing.products import credit_type_get_default, product_create

GRANT_PRODUCT_NAME = "Credit grant"  # the product a grant's commit is "of" (a FIXED product)
CREATE_FIELDS = frozenset({
    "customer_id", "expires_at", "grant_amount", "name", "paid_amount", "priority",
    "credit_grant_type", "custom_fields", "effective_at", "invoice_date", "product_ids", "reason",
    "rollover_settings", "uniqueness_key",
})  # fmt: skip
KEY_REUSED = "uniqueness_key: '{key}' was already used for another credit grant of this customer."
ROLLOVER_REFUSED = (
    "rollover_settings: not supported: a rollover into a new credit grant at expiry is not "
    "modelled here (a customer-level commit rolls over only into its own next segment)."
)


def _grant_product() -> Product:
    product = Product.objects.filter(
        name=GRANT_PRODUCT_NAME, type="FIXED", archived_at__isnull=True
    ).first()
    return product or product_create(name=GRANT_PRODUCT_NAME, type="FIXED")


def _credit_type(reader: Reader) -> CreditType:
    public_id = reader.str("credit_type_id", max_length=64)
    if not public_id:
        return credit_type_get_default()  # USD (cents)
    found = CreditType.objects.filter(
        public_id=uuid_from_wire(reader, "credit_type_id", public_id), archived_at__isnull=True
    ).first()
    if found is None:
        raise reader.fail("credit_type_id", f"no credit type with id {public_id}.")
    return found


def _purchase_contract(customer: Any, moment: datetime, reader: Reader) -> Contract:
    """The contract the purchase is invoiced on: the customer's earliest contract in force at
    `moment`."""
    contract = (
        Contract.objects.filter(customer=customer, archived_at__isnull=True)
        .filter(starting_at__lte=moment)
        .filter(Q(ending_before__isnull=True) | Q(ending_before__gt=moment))
        .order_by("starting_at", "pk")
        .first()
    )
    if contract is None:
        raise reader.fail(
            "paid_amount",
            f"the customer has no contract or plan in force at {moment.isoformat()} to invoice "
            "the purchase on (add a plan first, or grant with paid_amount 0).",
        )
    return contract


def _product_ids(reader: Reader) -> list[str]:
    ids = []
    for index, value in enumerate(reader.str_list("product_ids")):
        key = f"product_ids[{index}]"
        public_id = uuid_from_wire(reader, key, value)
        if not Product.objects.filter(public_id=public_id).exists():
            raise reader.fail(key, f"no product with id {public_id}.")
        ids.append(str(public_id))
    return ids


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@transaction.atomic
def credit_grant_create(*, data: dict[str, Any]) -> CreditGrant:
    reader = Reader(data)
    unknown = sorted(set(data) - CREATE_FIELDS)
    if unknown:
        raise reader.fail(unknown[0], "is not a field of a credit grant.")
    customer = customer_get(reader.str("customer_id", required=True, max_length=64))
    key = reader.str("uniqueness_key", max_length=128) or None
    if key and CreditGrant.objects.filter(customer=customer, uniqueness_key=key).exists():
        raise ApplicationError(KEY_REUSED.format(key=key), "conflict")
    if reader.has("rollover_settings"):
        raise ApplicationError(ROLLOVER_REFUSED)
    name = reader.str("name", required=True, max_length=200)
    priority = reader.decimal("priority", required=True)
    grant = reader.child("grant_amount", required=True)
    amount = grant.decimal("amount", required=True, positive=True)  # type: ignore[union-attr]
    grant_type = _credit_type(grant)  # type: ignore[arg-type]
    if grant_type.is_fiat and grant_type.currency_code != "USD":
        raise grant.fail("credit_type_id", "a fiat grant is in USD (cents).")  # type: ignore[union-attr]
    paid = reader.child("paid_amount", required=True)
    paid_amount = paid.decimal("amount", required=True, minimum=Decimal(0))  # type: ignore[union-attr]
    paid_type = _credit_type(paid)  # type: ignore[arg-type]
    if not paid_type.is_fiat:
        raise paid.fail("credit_type_id", "a purchase is paid in a fiat credit type.")  # type: ignore[union-attr]
    expires_at = reader.datetime("expires_at", required=True)
    effective_at = reader.datetime("effective_at") or timezone.now().replace(microsecond=0)
    if expires_at <= effective_at:  # type: ignore[operator]
        raise reader.fail("expires_at", "must be after effective_at.")
    invoice_date = reader.datetime("invoice_date")
    custom_fields = reader.str_map("custom_fields")
    custom_fields_validate(entity="credit_grant", values=custom_fields)
    access: dict[str, Any] = {
        "schedule_items": [
            {
                "amount": str(amount),
                "starting_at": _iso(effective_at),
                "ending_before": _iso(expires_at),
            }  # type: ignore[arg-type]
        ]
    }
    if not grant_type.is_fiat:
        access["credit_type_id"] = str(grant_type.public_id)
    commit_data: dict[str, Any] = {
        "product_id": str(_grant_product().public_id),
        "name": name,
        "description": reader.str("reason"),
        "priority": str(priority),
        "applicable_product_ids": _product_ids(reader),
        "access_schedule": access,
    }
    contract = None
    if paid_amount > 0:  # type: ignore[operator]
        moment = invoice_date or effective_at
        contract = _purchase_contract(customer, moment, reader)
        if contract_credit_type(contract).pk != paid_type.pk:
            raise paid.fail(  # type: ignore[union-attr]
                "credit_type_id",
                "must be the credit type of the contract the purchase is invoiced on.",
            )
        commit_data.update({
            "type": "PREPAID",
            "applicable_contract_ids": [],
            "invoice_contract_id": str(contract.public_id),
            "invoice_schedule": {"schedule_items": [{"timestamp": _iso(moment), "amount": str(paid_amount)}]},
        })  # fmt: skip
    commit = customer_commit_create(customer=customer, data=commit_data, credit=paid_amount == 0)
    try:
        with transaction.atomic():
            created = CreditGrant.objects.create(
                customer=customer, commit=commit, name=name,
                credit_grant_type=reader.str("credit_grant_type", max_length=200),
                reason=reader.str("reason"), priority=priority, grant_amount=amount,
                grant_credit_type=grant_type, paid_amount=paid_amount, paid_credit_type=paid_type,
                effective_at=effective_at, expires_at=expires_at, invoice_date=invoice_date,
                product_ids=commit.applicable_product_ids, custom_fields=custom_fields,
                uniqueness_key=key,
            )  # fmt: skip
    except IntegrityError:  # a concurrent create with the same key won the race
        raise ApplicationError(KEY_REUSED.format(key=key), "conflict") from None
    if contract is not None:  # the purchase invoice, now (as Metronome issues it)
        moment = invoice_date or effective_at
        contract_scheduled_invoices_sync(contract=contract, through=moment + timedelta(seconds=1))
    return created


def credit_grant_get(public_id: Any, field: str = "id") -> CreditGrant:
    queryset = CreditGrant.objects.filter(voided_at__isnull=True).select_related("commit")
    return get_by_public_id(queryset, public_id, "credit grant", field)


@transaction.atomic
def credit_grant_edit(*, data: dict[str, Any]) -> CreditGrant:
    """editGrant: name, expires_at (the commit's access end) and credit_grant_type."""
    reader = Reader(data)
    unknown = sorted(set(data) - {"id", "name", "expires_at", "credit_grant_type"})
    if unknown:
        raise reader.fail(unknown[0], "is not a field of editGrant.")
    grant = credit_grant_get(reader.str("id", required=True, max_length=64))
    commit = grant.commit
    if reader.has("name"):
        grant.name = commit.name = reader.str("name", required=True, max_length=200)
        commit.save(update_fields=["name", "updated_at"])
    if reader.has("credit_grant_type"):
        grant.credit_grant_type = reader.str("credit_grant_type", max_length=200)
    expires_at = reader.datetime("expires_at")
    if expires_at is not None:
        if expires_at <= grant.effective_at:
            raise reader.fail("expires_at", "must be after the grant's effective_at.")
        try:
            commit_update_end_date(commit=commit, access_ending_before=expires_at)
        except ApplicationError as error:  # named for the commit's field: name the grant's
            why = error.message.split(": ", 1)[-1]
            raise ApplicationError(f"expires_at: {why}", error.code) from None
        grant.expires_at = expires_at
    grant.save()
    return grant


def purchase_invoice(grant: CreditGrant) -> Invoice | None:
    """The invoice that bills the grant's paid_amount (not voided), if there is one."""
    line = (
        LineItem.objects.filter(commit_public_id=grant.commit.public_id, type="COMMIT_PURCHASE")
        .exclude(invoice__status=InvoiceStatus.VOID)
        .select_related("invoice")
        .first()
    )
    return line.invoice if line is not None else None


@transaction.atomic
def credit_grant_void(
    *, grant: CreditGrant, release_uniqueness_key: bool = False, void_invoice: bool = False
) -> CreditGrant:
    """voidGrant: the commit is archived (it draws no more; drafts drop it when recomputed);
    with void_credit_purchase_invoice, the purchase invoice is voided too."""
    now = timezone.now()
    if void_invoice:
        invoice = purchase_invoice(grant)
        if invoice is not None:
            others = invoice.lines.exclude(commit_public_id=grant.commit.public_id).exists()
            if others:
                raise ApplicationError(
                    "void_credit_purchase_invoice: the purchase invoice "
                    f"{invoice.public_id} bills other charges too; void it on its own."
                )
            invoice_void(invoice=invoice)
    grant.commit.archived_at = now
    grant.commit.save(update_fields=["archived_at", "updated_at"])
    grant.voided_at = now
    if release_uniqueness_key:
        grant.uniqueness_key = None
    grant.save(update_fields=["voided_at", "uniqueness_key", "updated_at"])
    return grant
