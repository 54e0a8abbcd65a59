"""How the audit walk (test_audit_coverage) changes each registered model of customers,
the catalog and contracts: through the API, as a person would."""

from collections.abc import Callable

from django.urls import reverse

from pricing.services import credit_type_get_default
from reports.tests.audit_walk import Walk, schedule


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
                         "name": "Walk commit", "access_schedule": schedule(100_000)}])  # fmt: skip


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
                     "priority": 1, "access_schedule": schedule(5_000)}],
        "prepaid_balance_threshold_configuration": {
            "commit": {"product_id": fixed, "name": "Auto-recharge"}, "is_enabled": True,
            "payment_gate_config": {"payment_gate_type": "NONE"},
            "threshold_amount": 6_000, "recharge_to_amount": 8_000},
    })  # fmt: skip


# Each registered model (app_label.ModelName) and how the walk changes it. Several share one
# change (a commit's access segments come with it).
CATALOG_AND_CONTRACT_CHANGES: dict[str, Callable[[Walk], None]] = {
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
}
