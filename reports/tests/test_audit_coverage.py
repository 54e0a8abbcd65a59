"""Every model registered with auditlog is changed through its API (or its console page) and
leaves an entry with the actor, the IP address and the user agent; /v1/auditLogs finds it by
its resource type and id.

CHANGES says, per registered model, how to change it. A model registered without an entry here
fails the first assertion: whoever registers a model says how it is changed, and this test
then proves its changes are attributed.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from invoicing.tests import fake_stripe
from plans.services import plan_create
from pricing.models import Product
from pricing.services import credit_type_get_default
from reports.audit_log import entries_to_wire
from usage.services import usage_ingest

IP = "203.0.113.7"
STRIPE_KEY = "sk_test_51WalkKeyForAuditTests01"
SETUP = "audit-walk/setup"


@dataclass
class Walk:
    api: APIClient
    console: Client
    ids: dict[str, str] = field(default_factory=dict)
    agent: str = SETUP

    def call(self, path: str, body: Any = None, method: str = "post") -> dict:
        send = getattr(self.api, method)
        kwargs = {"format": "json"} if method == "post" else {}
        response = send(path, body, HTTP_USER_AGENT=self.agent, REMOTE_ADDR=IP, **kwargs)
        assert response.status_code == 200, (self.agent, path, response.content[:500])
        return response.json() if response.content else {}

    def post_console(self, path: str, data: dict) -> None:
        response = self.console.post(path, data, HTTP_USER_AGENT=self.agent, REMOTE_ADDR=IP)
        assert response.status_code in (200, 302), (self.agent, path, response.status_code)

    def once(self, key: str, make: Callable[[], str]) -> str:
        """A prerequisite made once, as setup (its entries are not what the test looks at)."""
        if key not in self.ids:
            agent, self.agent = self.agent, SETUP
            try:
                self.ids[key] = make()
            finally:
                self.agent = agent
        return self.ids[key]

    # -- prerequisites ------------------------------------------------------------------------

    def customer(self) -> str:
        return self.once(
            "customer",
            lambda: self.call("/v1/customers", {"name": "Walk Co", "ingest_aliases": ["walk"]})[
                "data"
            ]["id"],
        )

    def metric(self) -> str:
        body = {"name": "calls", "event_type_filter": {"in_values": ["call"]},
                "aggregation_type": "COUNT", "group_keys": [["project_id"]]}  # fmt: skip
        return self.once(
            "metric", lambda: self.call("/v1/billable-metrics/create", body)["data"]["id"]
        )

    def product(self, kind: str = "USAGE") -> str:
        def make() -> str:
            body: dict[str, Any] = {"name": f"Walk {kind.lower()}", "type": kind}
            if kind == "USAGE":
                body["billable_metric_id"] = self.metric()
            return self.call("/v1/contract-pricing/products/create", body)["data"]["id"]

        return self.once(f"product-{kind}", make)

    def rate_card(self) -> str:
        def make() -> str:
            card = self.call("/v1/contract-pricing/rate-cards/create", {"name": "Walk card"})
            card_id = card["data"]["id"]
            for product, rate in ((self.product(), {"rate_type": "FLAT", "price": 5}),
                                  (self.product("SUBSCRIPTION"), {"rate_type": "SUBSCRIPTION",
                                   "price": 2500, "billing_frequency": "MONTHLY"})):  # fmt: skip
                self.call(
                    "/v1/contract-pricing/rate-cards/addRate",
                    {"rate_card_id": card_id, "product_id": product, "entitled": True,
                     "starting_at": "2026-01-01T00:00:00Z", **rate},
                )  # fmt: skip
            return card_id

        return self.once("rate_card", make)

    def contract(self) -> str:
        body = {"customer_id": self.customer(), "rate_card_id": self.rate_card(),
                "starting_at": "2026-01-01T00:00:00Z", "name": "Walk contract"}  # fmt: skip
        return self.once("contract", lambda: self.call("/v1/contracts/create", body)["data"]["id"])

    def edit(self, **changes: Any) -> dict:
        body = {"customer_id": self.customer(), "contract_id": self.contract(), **changes}
        return self.call("/v2/contracts/edit", body)

    def stripe_entity(self) -> str:
        body = {"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
                "configuration": {"name": "US entity", "stripe_secret_key": STRIPE_KEY,
                                  "stripe_webhook_secret": "whsec_walkSecret01"}}  # fmt: skip
        return self.once(
            "stripe_entity",
            lambda: self.call("/v1/setUpBillingProvider", body)["data"]["delivery_method_id"],
        )

    def stripe_configuration(self, customer_id: str, stripe_id: str) -> str:
        body = {"data": [{"customer_id": customer_id, "billing_provider": "stripe",
                          "delivery_method_id": self.stripe_entity(),
                          "configuration": {"stripe_customer_id": stripe_id}}]}  # fmt: skip
        return self.call("/v1/setCustomerBillingProviderConfigurations", body)["data"][0]["id"]

    def invoice(self) -> str:
        def make() -> str:
            self.contract()
            at = datetime(2026, 1, 5, tzinfo=UTC)
            event = {"transaction_id": "walk-1", "customer_id": "walk", "event_type": "call",
                     "timestamp": at.isoformat(), "properties": {}}  # fmt: skip
            usage_ingest(events=[event], now=at)
            # the invoices API brings the customer's statements up to date, creating drafts
            listed = self.call(f"/v1/customers/{self.customer()}/invoices", method="get")
            return next(i["id"] for i in listed["data"] if i["status"] == "DRAFT")

        return self.once("invoice", make)


def _schedule(amount: int, at: str = "2026-01-01T00:00:00Z", end: str = "2027-01-01T00:00:00Z"):
    return {"schedule_items": [{"amount": amount, "starting_at": at, "ending_before": end}]}


# -- how each registered model is changed -------------------------------------------------------


def _api_token(w: Walk) -> None:
    w.post_console(reverse("api-token-create"), {"name": "walk token"})


def _custom_field_key(w: Walk) -> None:
    w.call("/v1/customFields/addKey",
           {"entity": "customer", "key": "region", "enforce_uniqueness": False})  # fmt: skip


def _customer(w: Walk) -> None:
    w.call(f"/v1/customers/{w.customer()}/setName", {"name": "Walk Company"})


def _ingest_alias(w: Walk) -> None:
    w.call(f"/v1/customers/{w.customer()}/setIngestAliases",
           {"ingest_aliases": ["walk", "walk-2"]})  # fmt: skip


def _billable_metric(w: Walk) -> None:
    w.call("/v1/billable-metrics/create",
           {"name": "tokens", "event_type_filter": {"in_values": ["completion"]},
            "aggregation_type": "SUM", "aggregation_key": "tokens"})  # fmt: skip


def _credit_type(w: Walk) -> None:
    w.call("/v1/credit-types/create", {"name": "GPU hours"})


def _product(w: Walk) -> None:
    w.call("/v1/contract-pricing/products/create", {"name": "Support", "type": "FIXED"})


def _product_version(w: Walk) -> None:
    w.call("/v1/contract-pricing/products/update",
           {"product_id": w.product(), "starting_at": "2026-03-01T00:00:00Z",
            "name": "Walk usage v2"})  # fmt: skip


def _rate_card(w: Walk) -> None:
    w.call("/v1/contract-pricing/rate-cards/create", {"name": "Enterprise"})


def _credit_type_conversion(w: Walk) -> None:
    credits = w.once(
        "credits", lambda: w.call("/v1/credit-types/create", {"name": "AI credits"})["data"]["id"]
    )
    w.call("/v1/contract-pricing/rate-cards/create",
           {"name": "Credits card", "credit_type_conversions": [
               {"custom_credit_type_id": credits, "fiat_per_custom_credit": 2}]})  # fmt: skip


def _rate(w: Walk) -> None:
    w.call("/v1/contract-pricing/rate-cards/addRate",
           {"rate_card_id": w.rate_card(), "product_id": w.product("FIXED"), "entitled": True,
            "rate_type": "FLAT", "price": 7, "starting_at": "2026-06-01T00:00:00Z"})  # fmt: skip


def _package(w: Walk) -> None:
    w.call("/v1/packages/create", {"name": "Starter", "rate_card_id": w.rate_card()})


def _contract(w: Walk) -> None:
    w.call("/v1/contracts/create",
           {"customer_id": w.customer(), "rate_card_id": w.rate_card(),
            "starting_at": "2026-02-01T00:00:00Z", "name": "Second contract"})  # fmt: skip


def _commit_and_segment(w: Walk) -> None:
    w.edit(add_commits=[{"type": "PREPAID", "product_id": w.product("FIXED"),
                         "name": "Walk commit", "access_schedule": _schedule(100_000)}])  # fmt: skip


def _override(w: Walk) -> None:
    w.edit(add_overrides=[{"starting_at": "2026-01-01T00:00:00Z", "type": "MULTIPLIER",
                           "multiplier": 0.9, "product_id": w.product()}])  # fmt: skip


def _scheduled_charge(w: Walk) -> None:
    w.edit(add_scheduled_charges=[{"product_id": w.product("FIXED"), "name": "Onboarding",
                                   "schedule": {"schedule_items": [
                                       {"timestamp": "2026-02-01T00:00:00Z",
                                        "unit_price": 50_000, "quantity": 1}]}}])  # fmt: skip


def _discount(w: Walk) -> None:
    w.edit(add_discounts=[{"product_id": w.product("FIXED"), "name": "Walk discount",
                           "schedule": {"schedule_items": [
                               {"timestamp": "2026-02-01T00:00:00Z", "amount": 5_000}]}}])  # fmt: skip


def _pro_service_body(w: Walk) -> dict:
    return {"product_id": w.product("PRO_SERVICE"), "description": "Walk hours",
            "quantity": 10, "unit_price": 15_000, "max_amount": 150_000}  # fmt: skip


def _pro_service(w: Walk) -> None:
    w.edit(add_professional_services=[_pro_service_body(w)])


def _pro_service_invoice(w: Walk) -> None:
    def make() -> str:
        w.edit(add_professional_services=[_pro_service_body(w)])
        got = w.call(
            "/v2/contracts/get", {"customer_id": w.customer(), "contract_id": w.contract()}
        )
        return got["data"]["professional_services"][-1]["id"]

    service = w.once("pro_service", make)
    w.call("/v1/contracts/scheduleProServicesInvoice",
           {"customer_id": w.customer(), "contract_id": w.contract(),
            "issued_at": "2026-03-01T00:00:00Z",
            "line_items": [{"professional_service_id": service, "quantity": 2}]})  # fmt: skip


def _contract_edit(w: Walk) -> None:
    w.edit(update_contract_name="Walk contract (renamed)")


def _spend_tracker(w: Walk) -> None:
    w.edit(add_spend_trackers=[{"alias": "walk", "reset_frequency": "BILLING_PERIOD",
                                "credit_type_id": str(credit_type_get_default().public_id),
                                "applicable_spend_specifiers": [
                                    {"spend_type": "COMMIT_PURCHASE", "sources": ["MANUAL"]}]}])  # fmt: skip


def _reseller_royalty(w: Walk) -> None:
    w.edit(add_reseller_royalties=[{"reseller_type": "AWS", "fraction": 0.2,
                                    "netsuite_reseller_id": "NS-walk",
                                    "starting_at": "2026-01-01T00:00:00Z",
                                    "applicable_product_ids": [w.product()]}])  # fmt: skip


def _recurring_commit(w: Walk) -> None:
    w.edit(add_recurring_credits=[{"product_id": w.product("FIXED"), "priority": 4,
                                   "starting_at": "2026-01-01T00:00:00Z",
                                   "access_amount": {"unit_price": 1_000, "quantity": 1},
                                   "commit_duration": {"value": 1},
                                   "recurrence_frequency": "MONTHLY"}])  # fmt: skip


def _subscription(w: Walk) -> None:
    w.edit(add_subscriptions=[{"collection_schedule": "ARREARS", "initial_quantity": 3,
                               "proration": {"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE",
                                             "is_prorated": True},
                               "subscription_rate": {"billing_frequency": "MONTHLY",
                                                     "product_id": w.product("SUBSCRIPTION")}}])  # fmt: skip


def _usage_filter(w: Walk) -> None:
    """The walk's metric groups by project_id, so the contract may filter on it."""
    w.call("/v1/contracts/setUsageFilter",
           {"customer_id": w.customer(), "contract_id": w.contract(), "group_key": "project_id",
            "group_values": ["walk-project"], "starting_at": "2026-03-01T00:00:00Z"})  # fmt: skip


def _contract_named_schedule(w: Walk) -> None:
    w.call("/v1/contracts/updateNamedSchedule",
           {"customer_id": w.customer(), "contract_id": w.contract(), "schedule_name": "walk",
            "starting_at": "2026-01-01T00:00:00Z", "value": {"discount": 0.1},
            "properties": {"region": "eu"}})  # fmt: skip


def _customer_named_schedule(w: Walk) -> None:
    w.call("/v1/customers/updateNamedSchedule",
           {"customer_id": w.customer(), "schedule_name": "walk",
            "starting_at": "2026-01-01T00:00:00Z", "value": "gold"})  # fmt: skip


def _rate_card_named_schedule(w: Walk) -> None:
    w.call("/v1/contract-pricing/rate-cards/updateNamedSchedule",
           {"rate_card_id": w.rate_card(), "schedule_name": "walk",
            "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-07-01T00:00:00Z",
            "value": {"tier": 2}})  # fmt: skip


def _rate_card_product_position(w: Walk) -> None:
    w.call("/v1/contract-pricing/rate-cards/setRateCardProductsOrder",
           {"rate_card_id": w.rate_card(),
            "product_order": [w.product("SUBSCRIPTION"), w.product()]})  # fmt: skip


def _invoice(w: Walk) -> None:
    """Finalizing sends the invoice to the customer's Stripe account (a local fake Stripe):
    the sync is enqueued on commit and, as tests run enqueued tasks inline, runs within the
    console request. In production it runs in a worker and its entries are the system's."""
    invoice = w.invoice()
    w.once("stripe_walk", lambda: w.stripe_configuration(w.customer(), "cus_walk"))
    w.post_console(reverse("invoicing:invoice-finalize", args=[invoice]), {})


def _configured_billing_provider(w: Walk) -> None:
    w.call("/v1/setUpBillingProvider",
           {"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
            "configuration": {"name": "EU entity", "stripe_secret_key": STRIPE_KEY,
                              "stripe_webhook_secret": "whsec_euSecret0001"}})  # fmt: skip


def _avalara_credentials(w: Walk) -> None:
    w.call("/v1/upsertAvalaraCredentials",
           {"avalara_environment": "SANDBOX", "avalara_username": "walk@example.com",
            "avalara_password": "walk-password", "delivery_method_ids": [w.stripe_entity()]})  # fmt: skip


def _custom_field_values(w: Walk) -> None:
    """An alert's custom fields are kept beside it (an invoice's too)."""
    alert = w.call("/v1/alerts/create",
                   {"alert_type": "spend_threshold_reached", "name": "Tagged alert",
                    "threshold": 500, "customer_id": w.customer()})["data"]["id"]  # fmt: skip
    w.call("/v1/customFields/addKey", {"entity": "alert", "key": "team", "enforce_uniqueness": False})  # fmt: skip
    w.call("/v1/customFields/setValues",
           {"entity": "alert", "entity_id": alert, "custom_fields": {"team": "billing"}})  # fmt: skip


def _credit_grant(w: Walk) -> None:
    usd = str(credit_type_get_default().public_id)
    w.call("/v1/credits/createGrant",
           {"customer_id": w.customer(), "name": "Walk grant", "priority": 1,
            "grant_amount": {"amount": 1000, "credit_type_id": usd},
            "paid_amount": {"amount": 0, "credit_type_id": usd},
            "effective_at": "2026-01-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z"})  # fmt: skip


def _customer_plan(w: Walk) -> None:
    """A plan is an operator's (manage.py create_plan, set-up here); putting a customer on it
    goes through the API."""

    def plan() -> str:
        product = Product.objects.get(public_id=w.product("SUBSCRIPTION"))
        made = plan_create(name="Walk plan", charges=[
            {"charge_type": "fixed", "product": product, "price": 2000, "quantity": 1}])  # fmt: skip
        return str(made.public_id)

    w.call(f"/v1/customers/{w.customer()}/plans/add",
           {"plan_id": w.once("plan", plan), "starting_on": "2026-01-01T00:00:00Z"})  # fmt: skip


def _plan_custom_fields(w: Walk) -> None:
    """Through the API a plan and its charges change only in their custom fields."""
    _customer_plan(w)
    plan = w.ids["plan"]
    charge = w.call(f"/v1/planDetails/{plan}/charges", method="get")["data"][0]["id"]
    for entity, entity_id in (("plan", plan), ("charge", charge)):
        w.call("/v1/customFields/addKey", {"entity": entity, "key": "owner", "enforce_uniqueness": False})  # fmt: skip
        w.call("/v1/customFields/setValues",
               {"entity": entity, "entity_id": entity_id, "custom_fields": {"owner": "growth"}})  # fmt: skip


def _customer_billing_configuration(w: Walk) -> None:
    other = w.once("other_customer", lambda: w.call("/v1/customers", {"name": "Other Co"})[
        "data"]["id"])  # fmt: skip
    w.stripe_configuration(other, "cus_other")


def _contract_transition(w: Walk) -> None:
    old = w.once("old_contract", lambda: w.call("/v1/contracts/create", {
        "customer_id": w.customer(), "rate_card_id": w.rate_card(),
        "starting_at": "2026-01-01T00:00:00Z", "name": "Old terms"})["data"]["id"])  # fmt: skip
    w.call("/v1/contracts/create",
           {"customer_id": w.customer(), "rate_card_id": w.rate_card(),
            "starting_at": "2026-07-01T00:00:00Z", "name": "Renewed terms",
            "transition": {"from_contract_id": old, "type": "RENEWAL"}})  # fmt: skip


def _threshold_charge(w: Walk) -> None:
    """A contract whose prepaid balance (5,000) starts below its threshold (6,000): saving it
    enqueues the evaluation on commit, which recharges at once (inline in tests; a worker's
    job, attributed to the system, in production)."""
    fixed = w.product("FIXED")
    w.call("/v1/contracts/create", {
        "customer_id": w.customer(), "rate_card_id": w.rate_card(),
        "starting_at": "2026-01-01T00:00:00Z", "name": "Prepaid",
        "commits": [{"type": "PREPAID", "product_id": fixed, "name": "Starting balance",
                     "priority": 1, "access_schedule": _schedule(5_000)}],
        "prepaid_balance_threshold_configuration": {
            "commit": {"product_id": fixed, "name": "Auto-recharge"}, "is_enabled": True,
            "payment_gate_config": {"payment_gate_type": "NONE"},
            "threshold_amount": 6_000, "recharge_to_amount": 8_000},
    })  # fmt: skip


def _alert(w: Walk) -> None:
    w.call("/v1/alerts/create",
           {"alert_type": "spend_threshold_reached", "name": "Spend over $10",
            "threshold": 1000, "customer_id": w.customer()})  # fmt: skip


def _offset_notification(w: Walk) -> None:
    w.call(
        "/v2/notifications/create",
        {"name": "Renewal reminder", "policy": {"type": "contract.end", "offset": "-P30D"}},
    )


def _system_notification(w: Walk) -> None:
    w.call("/v2/notifications/edit", {"policy": {"type": "contract.create"}, "is_enabled": True})


def _webhook_endpoint(w: Walk) -> None:
    w.post_console(reverse("webhooks:endpoint-create"),
                   {"url": "https://hooks.example.invalid/billing", "description": "walk",
                    "kind": "webhook", "event_types": "alerts.spend_threshold_reached"})  # fmt: skip


# Each registered model (app_label.ModelName) and how the walk changes it. Several share one
# change (a commit's access segments come with it).
CHANGES: dict[str, Callable[[Walk], None]] = {
    "billing_console.ApiToken": _api_token,
    "billing_console.CustomFieldKey": _custom_field_key,
    "customers.Customer": _customer,
    "customers.IngestAlias": _ingest_alias,
    "usage.BillableMetric": _billable_metric,
    "pricing.CreditType": _credit_type,
    "pricing.Product": _product,
    "pricing.ProductVersion": _product_version,
    "pricing.RateCard": _rate_card,
    "pricing.CreditTypeConversion": _credit_type_conversion,
    "pricing.Rate": _rate,
    "pricing.Package": _package,
    "contracts.Contract": _contract,
    "contracts.Commit": _commit_and_segment,
    "contracts.AccessSegment": _commit_and_segment,
    "contracts.Override": _override,
    "contracts.ScheduledCharge": _scheduled_charge,
    "contracts.ScheduledChargeItem": _scheduled_charge,
    "contracts.ContractEdit": _contract_edit,
    "contracts.Discount": _discount,
    "contracts.DiscountItem": _discount,
    "contracts.ProfessionalService": _pro_service,
    "contracts.ProServiceInvoiceItem": _pro_service_invoice,
    "contracts.RecurringCommit": _recurring_commit,
    "contracts.Subscription": _subscription,
    "contracts.SubscriptionQuantityChange": _subscription,
    "contracts.ContractTransition": _contract_transition,
    "contracts.ThresholdCharge": _threshold_charge,
    "contracts.ContractUsageFilter": _usage_filter,
    "contracts.ContractNamedSchedule": _contract_named_schedule,
    "contracts.SpendTracker": _spend_tracker,
    "contracts.ResellerRoyalty": _reseller_royalty,
    "customers.CustomerNamedSchedule": _customer_named_schedule,
    "pricing.RateCardNamedSchedule": _rate_card_named_schedule,
    "pricing.RateCardProductPosition": _rate_card_product_position,
    "customers.ConfiguredBillingProvider": _configured_billing_provider,
    "customers.CustomerBillingProviderConfiguration": _customer_billing_configuration,
    "customers.AvalaraCredentials": _avalara_credentials,
    "plans.CreditGrant": _credit_grant,
    "plans.CustomerPlan": _customer_plan,
    "plans.Plan": _plan_custom_fields,
    "plans.PlanCharge": _plan_custom_fields,
    "billing_console.CustomFieldValues": _custom_field_values,
    "invoicing.Invoice": _invoice,
    "invoicing.ExternalInvoice": _invoice,
    "alerts.Alert": _alert,
    "alerts.OffsetNotification": _offset_notification,
    "alerts.SystemNotification": _system_notification,
    "webhooks.WebhookEndpoint": _webhook_endpoint,
}


@pytest.fixture
def walk(transactional_db, alice, api_token, settings) -> Iterator[Walk]:
    """Committed transactions, so that what a request enqueues on commit runs within it (as
    tests run enqueued tasks inline); a local fake Stripe for finalized invoices."""
    credit_type_get_default()
    stripe = fake_stripe.FakeStripe()
    stripe.add_customer("cus_walk")
    server = fake_stripe.start(stripe)
    settings.STRIPE_API_BASE = stripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    console = Client()
    console.force_login(alice)
    yield Walk(api=api, console=console)
    server.shutdown()
    server.server_close()


def test_every_audited_model_has_a_way_to_be_changed():
    registered = {model._meta.label for model in auditlog.get_models()}
    missing = sorted(registered - set(CHANGES))
    assert not missing, f"registered with auditlog, but the walk cannot change: {missing}"


def test_every_audited_model_change_names_actor_ip_and_user_agent(walk, alice):
    # (a model without an entry in CHANGES fails the test above)
    registered = sorted(m._meta.label for m in auditlog.get_models() if m._meta.label in CHANGES)
    done: dict[Callable[[Walk], None], str] = {}
    for label in registered:
        change = CHANGES[label]
        if change not in done:  # one change may cover several models
            walk.agent = f"audit-walk/{label}"
            change(walk)
            done[change] = walk.agent
        agent = done[change]
        content_type = ContentType.objects.get_for_model(
            next(m for m in auditlog.get_models() if m._meta.label == label)
        )
        entry = (
            LogEntry.objects.filter(content_type=content_type, additional_data__user_agent=agent)
            .select_related("actor")
            .first()
        )
        assert entry is not None, f"{label}: no audit entry from {agent}"
        assert entry.actor is not None, f"{label}: no actor"
        assert entry.remote_addr == IP, f"{label}: IP {entry.remote_addr}"
        assert entry.cid, f"{label}: no request id"
        via = entry.additional_data.get("via")
        assert via == ("console" if entry.actor == alice else "api"), label

        # ... and the audit log API finds it by its resource type and id
        [wire] = entries_to_wire([entry])
        assert wire["resource_type"] and wire["resource_id"], label
        assert wire["request"]["user_agent"] == agent and wire["request"]["ip"] == IP
        by_resource = walk.api.get(
            "/v1/auditLogs",
            {"resource_type": wire["resource_type"], "resource_id": wire["resource_id"],
             "limit": 100, "sort": "date_desc"},
        )  # fmt: skip
        assert by_resource.status_code == 200, (label, by_resource.content)
        assert wire["id"] in {item["id"] for item in by_resource.json()["data"]}, label
