"""pay_states: every invoice's pay state in a number of queries that does not grow with the
invoices (the invoices embed's status column), the same answer pay_state gives one by one."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing_console.embedding import EmbedGrant, embed_token_sign
from contracts.services import contract_create
from customers.models import ConfiguredBillingProvider, CustomerBillingProviderConfiguration
from customers.services import customer_create
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceStatus
from invoicing.tests.factories import JAN
from invoicing.tests.stripe_fixtures import StripeWorld, stripe_world
from payments.models import CheckoutSession, CheckoutStatus, ExternalPayment
from payments.pay_state import (
    ARCHIVED,
    AT_STRIPE,
    NO_KEY,
    NO_STRIPE,
    NOT_FINALIZED,
    NOT_SENT,
    NOT_STRIPE,
    NOTHING_DUE,
    pay_state,
    pay_states,
)

pytestmark = pytest.mark.django_db
PAID_AT = JAN + timedelta(days=40)


class Invoices:
    """Finalized invoices of the Stripe world's contract, one per month from January 2026."""

    def __init__(self, stripe: StripeWorld) -> None:
        self.stripe = stripe
        self.month = 0

    def add(self, *, status: str = InvoiceStatus.FINALIZED, total: str = "50", contract=None) -> Invoice:  # fmt: skip
        contract = contract or self.stripe.contract
        start = JAN + timedelta(days=31 * self.month)
        self.month += 1
        return Invoice.objects.create(
            customer=contract.customer, contract=contract, type="USAGE", status=status,
            credit_type=contract.rate_card.fiat_credit_type, period_start=start,
            period_end=start + timedelta(days=31), issued_at=start + timedelta(days=31),
            total=Decimal(total), number=f"INV-{self.month}",
        )  # fmt: skip

    def at_stripe(self, external_status: str, **external) -> Invoice:
        invoice = self.add()
        fields = {"configuration": self.stripe.configuration, "provider": self.stripe.entity,
                  "billing_provider": "stripe", "external_id": f"in_{invoice.pk}",
                  "external_status": external_status, **external}  # fmt: skip
        if external_status == ExternalStatus.PAID:
            fields["paid_at"] = PAID_AT
        ExternalInvoice.objects.create(invoice=invoice, **fields)
        return invoice

    def paid_by_card(self) -> Invoice:
        invoice = self.at_stripe(ExternalStatus.PAID)
        CheckoutSession.objects.create(
            invoice=invoice, external=invoice.external, provider=self.stripe.entity, attempt=1,
            status=CheckoutStatus.PAID, amount=50, currency="usd", created_via="embed",
        )  # fmt: skip
        return invoice

    def paid_outside(self) -> Invoice:
        invoice = self.add()
        ExternalPayment.objects.create(invoice=invoice, paid_at=PAID_AT)
        return invoice

    def some_of_each(self) -> list[Invoice]:
        """Six finalized invoices: due with a Pay link, unsent, paid at Stripe, paid by card,
        paid outside, void at Stripe."""
        return [
            self.at_stripe(ExternalStatus.FINALIZED),
            self.add(),
            self.at_stripe(ExternalStatus.PAID),
            self.paid_by_card(),
            self.paid_outside(),
            self.at_stripe(ExternalStatus.VOID),
        ]


@pytest.fixture
def invoices(fake) -> Invoices:
    return Invoices(stripe_world(fake))


def test_pay_states_gives_each_invoice_what_pay_state_gives(invoices):
    stripe = invoices.stripe
    keyless = ConfiguredBillingProvider.objects.create(
        billing_provider="stripe", delivery_method="direct_to_billing_provider", name="No key"
    )
    archived = CustomerBillingProviderConfiguration.objects.create(
        customer=stripe.world.customer, provider=stripe.entity, billing_provider="stripe",
        delivery_method="direct_to_billing_provider", external_id="cus_old",
        uniqueness_key="cus_old", archived_at=timezone.now(),
    )  # fmt: skip
    other = customer_create(name="Beta", ingest_aliases=["beta"])
    unconfigured = contract_create(customer=other, data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(stripe.world.rate_card.public_id),
    })  # fmt: skip
    expected = {
        invoices.at_stripe(ExternalStatus.FINALIZED): ("", None, ""),
        invoices.at_stripe(ExternalStatus.PAYMENT_FAILED): ("", None, ""),
        invoices.add(): (NOT_SENT, None, ""),
        invoices.add(contract=unconfigured): (NO_STRIPE, None, ""),
        invoices.add(status=InvoiceStatus.DRAFT): (NOT_FINALIZED.format(status="draft"), None, ""),
        invoices.add(total="0"): (NOTHING_DUE, None, ""),
        invoices.at_stripe(ExternalStatus.PAID): ("", PAID_AT, "Stripe"),
        invoices.paid_by_card(): ("", PAID_AT, "card"),
        invoices.paid_outside(): ("", PAID_AT, "external payment"),
        invoices.at_stripe(ExternalStatus.VOID): (AT_STRIPE[ExternalStatus.VOID], None, ""),
        invoices.at_stripe(ExternalStatus.SENT, billing_provider="aws_marketplace"): (
            NOT_STRIPE.format(provider="Aws Marketplace"), None, ""),
        invoices.at_stripe(ExternalStatus.FINALIZED, configuration=archived): (ARCHIVED, None, ""),
        invoices.at_stripe(ExternalStatus.FINALIZED, provider=keyless): (NO_KEY, None, ""),
    }  # fmt: skip
    rows = list(Invoice.objects.filter(pk__in=[i.pk for i in expected]).order_by("pk"))
    states = pay_states(rows)
    assert set(states) == {i.pk for i in expected}
    for invoice, (reason, paid_at, paid_how) in expected.items():
        state = states[invoice.pk]
        assert (state.reason, state.paid_at, state.paid_how) == (reason, paid_at, paid_how)
        assert state == pay_state(Invoice.objects.get(pk=invoice.pk))
        assert state.payable == (reason == "" and paid_at is None)


def test_pay_states_of_no_invoices_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert pay_states([]) == {}


def _embed_queries(client, invoices: Invoices) -> tuple[int, str]:
    token = embed_token_sign(EmbedGrant(str(invoices.stripe.world.customer.public_id), "invoices"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/embed/{token}/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_invoices_embed_reads_pay_states_in_queries_that_do_not_grow(client, invoices):
    invoices.some_of_each()
    few, html = _embed_queries(client, invoices)
    assert html.count('<span class="badge ok">paid</span>') == 3
    assert html.count('<span class="badge warn">due</span>') == 1
    for _ in range(2):
        invoices.some_of_each()
    many, html = _embed_queries(client, invoices)
    assert html.count('<span class="badge ok">paid</span>') == 9
    assert html.count('<span class="badge warn">due</span>') == 3
    assert many == few
