"""How the audit walk (test_audit_coverage) changes each registered model of invoicing,
payments, tax, plans, billing providers, alerts and the settings: through the API or the
console, as a person would."""

from collections.abc import Callable

from django.urls import reverse

from plans.services import plan_create
from pricing.models import Product
from pricing.services import credit_type_get_default
from reports.tests.audit_walk import STRIPE_KEY, Walk, schedule


def _invoice(w: Walk) -> None:
    """Finalizing sends the invoice to the customer's Stripe account (a local fake Stripe):
    the sync is enqueued on commit and, as tests run enqueued tasks inline, runs within the
    console request. In production it runs in a worker and its entries are the system's.
    Collected by e-mail (send_invoice), so it stays unpaid for a payment link."""
    invoice = w.invoice()
    w.once(
        "stripe_walk",
        lambda: w.stripe_configuration(
            w.customer(), "cus_walk", stripe_collection_method="send_invoice"
        ),
    )
    w.post_console(reverse("invoicing:invoice-finalize", args=[invoice]), {})
    w.ids["finalized"] = invoice


def _checkout_session(w: Walk) -> None:
    """Send payment link, on the invoice finalized above (Stripe's answers later, from its
    webhook, are the system's: the fields they move are not audited)."""
    invoice = w.once("finalized", lambda: (_invoice(w), w.invoice())[1])
    w.post_console(reverse("payments:payment-link", args=[invoice]), {})


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


def _external_payment(w: Walk) -> None:
    """A recharge gated EXTERNAL (its balance starts below the threshold, so it is invoiced at
    once), paid by wire: finance records it through the API."""

    def gated() -> str:
        from contracts.models import ThresholdCharge

        fixed = w.product("FIXED")
        contract = w.call("/v1/contracts/create", {
            "customer_id": w.customer(), "rate_card_id": w.rate_card(),
            "starting_at": "2026-01-01T00:00:00Z", "name": "Gated prepaid",
            "commits": [{"type": "PREPAID", "product_id": fixed, "name": "Gated balance",
                         "priority": 1, "access_schedule": schedule(5_000)}],
            "prepaid_balance_threshold_configuration": {
                "commit": {"product_id": fixed, "name": "Gated recharge"}, "is_enabled": True,
                "payment_gate_config": {"payment_gate_type": "EXTERNAL"},
                "threshold_amount": 6_000, "recharge_to_amount": 8_000},
        })["data"]["id"]  # fmt: skip
        charge = ThresholdCharge.objects.get(contract__public_id=contract)
        return str(charge.invoice_public_id)

    w.call("/v1/contracts/paymentGates/recordExternalPayment",
           {"customer_id": w.customer(), "invoice_id": w.once("gated_invoice", gated),
            "reference": "WIRE-walk"})  # fmt: skip


def _tax_address(w: Walk) -> None:
    w.post_console(reverse("tax:tax-address-edit", args=[w.customer()]),
                   {"line1": "1 Walk St", "city": "Albany", "region": "NY",
                    "postal_code": "12207", "country": "us"})  # fmt: skip


def _anrok_credentials(w: Walk) -> None:
    w.post_console(reverse("tax:anrok-key-set", args=[w.stripe_entity()]),
                   {"api_key": "anrok-walk-key-0001"})  # fmt: skip


def _embed_frame_origin(w: Walk) -> None:
    w.post_console(reverse("embeds:frame-origin-add"), {"origin": "https://app.walk.example"})


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


def _salesforce_connection(w: Walk) -> None:
    w.post_console(reverse("crm:connection-save"),
                   {"instance_url": "https://walk.my.salesforce.com", "auth_method": "password",
                    "username": "walk@example.com", "password": "pw", "api_version": "62.0"})  # fmt: skip


def _salesforce_mapping(w: Walk) -> None:
    w.post_console(reverse("crm:mapping-save", args=["contract"]),
                   {"contract-sobject": "Walk__c", "contract-external_id_field": "Walk_Id__c",
                    "contract-field_map": "name = Name"})  # fmt: skip


def _person(w: Walk) -> None:
    w.post_console(reverse("people:person-invite"),
                   {"name": "Walk Person", "email": "walk@example.com", "role": "finance"})  # fmt: skip


def _group(w: Walk) -> None:
    """A role's group made again by the console (the roles migration made them all)."""
    from django.contrib.auth.models import Group

    Group.objects.filter(name="deal_desk").delete()
    w.post_console(reverse("people:person-invite"),
                   {"name": "Walk Deal", "email": "deal@example.com", "role": "deal_desk"})  # fmt: skip


# Each registered model (app_label.ModelName) and how the walk changes it.
BILLING_AND_SETTINGS_CHANGES: dict[str, Callable[[Walk], None]] = {
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
    "payments.CheckoutSession": _checkout_session,
    "payments.ExternalPayment": _external_payment,
    "tax.CustomerTaxAddress": _tax_address,
    "tax.AnrokCredentials": _anrok_credentials,
    "billing_console.EmbedFrameOrigin": _embed_frame_origin,
    "alerts.Alert": _alert,
    "alerts.OffsetNotification": _offset_notification,
    "alerts.SystemNotification": _system_notification,
    "webhooks.WebhookEndpoint": _webhook_endpoint,
    "crm.SalesforceConnection": _salesforce_connection,
    "crm.SalesforceMapping": _salesforce_mapping,
    "auth.User": _person,  # people.audit
    "auth.Group": _group,
}
