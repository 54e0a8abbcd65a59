"""The terms of the contract round trips (test_wire_round_trip*.py): a priced world and every
term a contract takes, each field with a value to read back."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from billing_console.custom_fields import custom_field_key_add
from customers.services import customer_create
from pricing.services import credit_type_get_default, product_create, rate_add, rate_card_create
from usage.services import billable_metric_create

START, END = "2026-01-15T00:00:00Z", "2027-01-01T00:00:00Z"
WINDOW = {"starting_at": START, "ending_before": END}
LISTS = (
    "commits",
    "credits",
    "scheduled_charges",
    "recurring_commits",
    "recurring_credits",
    "subscriptions",
)


def world() -> SimpleNamespace:
    """A card with Calls (usage, grouped by region and user) and Seats (a subscription), FIXED
    products for commits, credits and fees, and the custom field keys the terms use."""
    usd = credit_type_get_default()  # a live-server test's flush removes the seeded row
    metric = billable_metric_create(
        name="calls", event_type_filter={"in_values": ["call"]}, aggregation_type="COUNT",
        group_keys=[["region"], ["user"]],
    )  # fmt: skip
    calls = product_create(
        name="Calls", type="USAGE", billable_metric=metric, tags=["usage"],
        pricing_group_key=["region"], presentation_group_key=["user"],
    )  # fmt: skip
    seats = product_create(name="Seats", type="SUBSCRIPTION")
    card = rate_card_create(name="Standard")
    jan = datetime(2026, 1, 1, tzinfo=UTC)
    rate_add(rate_card=card, product=calls, starting_at=jan, rate_type="FLAT", price=5)
    rate_add(
        rate_card=card, product=seats, starting_at=jan, rate_type="SUBSCRIPTION", price=1000,
        billing_frequency="MONTHLY", is_prorated=True,
    )  # fmt: skip
    for entity in ("contract", "commit", "contract_credit"):
        custom_field_key_add(entity=entity, key="deal", enforce_uniqueness=False)
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    ids = {"usd": usd, "calls": calls, "seats": seats, "card": card, "customer": customer}
    for name in ("commit", "credit", "fee"):
        ids[name] = product_create(name=name.title(), type="FIXED")
    return SimpleNamespace(**{k: str(v.public_id) for k, v in ids.items()})


def spec(w) -> list[dict[str, Any]]:
    return [
        {"product_id": w.calls, "pricing_group_values": {"region": "eu"},
         "presentation_group_values": {"user": "u1"}},
        {"product_tags": ["usage"]},
    ]  # fmt: skip


def access(w, amount: int) -> dict[str, Any]:
    return {"access_type": "SPEND", "credit_type_id": w.usd,
            "schedule_items": [{"amount": amount, **WINDOW}]}  # fmt: skip


def scoped(w) -> dict[str, Any]:
    return {"applicable_product_ids": [w.calls], "applicable_product_tags": ["usage"]}


def recurring(w, name: str, priority: int, rounding: dict, **more: Any) -> dict[str, Any]:
    return {
        "name": name, "priority": priority, "description": f"{name}, monthly", **WINDOW,
        "commit_duration": {"value": 1, "unit": "PERIODS"}, "recurrence_frequency": "MONTHLY",
        "proration": "FIRST_AND_LAST", "rollover_fraction": 0.1, "proration_rounding": rounding,
        **more,
    }  # fmt: skip


def contract_terms(w) -> dict[str, Any]:
    """Every term a contract takes, each field with a value to read back."""
    half_up = {"decimal_places": 0, "rounding_method": "HALF_UP"}
    return {
        "commits": [
            {"type": "PREPAID", "product_id": w.commit, "name": "Commit A", "priority": 1,
             "description": "Committed spend", "custom_fields": {"deal": "D-1"}, **scoped(w),
             "rate_type": "LIST_RATE", "rollover_fraction": 0.25, "temporary_id": "ca",
             "netsuite_sales_order_id": "SO-100",
             "access_schedule": access(w, 1000),
             "invoice_schedule": {"do_not_invoice": True, "schedule_items": [
                 {"timestamp": START, "unit_price": 500, "quantity": 2, "amount": 1000}]}},
            {"type": "PREPAID", "product_id": w.commit, "name": "Commit B", "priority": 2,
             "specifiers": spec(w), "access_schedule": access(w, 500)},
        ],
        "credits": [
            {"product_id": w.credit, "name": "Credit A", "priority": 3, "description": "Promo",
             "custom_fields": {"deal": "D-2"}, **scoped(w), "rate_type": "COMMIT_RATE",
             "rollover_fraction": 0.5, "access_schedule": access(w, 300),
             "netsuite_sales_order_id": "SO-101"},
            {"product_id": w.credit, "name": "Credit B", "priority": 4, "specifiers": spec(w),
             "access_schedule": access(w, 200)},
        ],
        "scheduled_charges": [
            {"product_id": w.fee, "name": "Setup fee", "custom_fields": {"po": "7"},
             "netsuite_sales_order_id": "SO-102",
             "schedule": {"schedule_items": [{"timestamp": START, "amount": 2500}]}},
            {"product_id": w.fee, "name": "Training", "schedule": {"schedule_items": [
                {"timestamp": "2026-03-01T00:00:00Z", "unit_price": 1500, "quantity": 2}]}},
        ],
        "recurring_commits": [
            recurring(w, "Monthly commit", 5, {"access": half_up, "invoice": half_up},
                       product_id=w.commit, rate_type="LIST_RATE", temporary_id="rc", **scoped(w),
                       netsuite_sales_order_id="SO-103",
                       access_amount={"access_type": "SPEND", "credit_type_id": w.usd,
                                      "unit_price": 100, "quantity": 1},
                       invoice_amount={"credit_type_id": w.usd, "unit_price": 100, "quantity": 1},
                       subscription_config={"subscription_id": "team", "allocation": "POOLED",
                                            "apply_seat_increase_config": {"is_prorated": True}}),
            recurring(w, "Scoped commit", 6, {"access": half_up}, product_id=w.commit,
                       specifiers=spec(w), access_amount={"unit_price": 10, "quantity": 1}),
        ],
        "recurring_credits": [
            recurring(w, "Monthly credit", 7, {"access": half_up}, product_id=w.credit,
                       temporary_id="rcr", rate_type="LIST_RATE", **scoped(w),
                       netsuite_sales_order_id="SO-104",
                       access_amount={"access_type": "SPEND", "unit_price": 50, "quantity": 2},
                       subscription_config={"subscription_id": "team", "allocation": "POOLED",
                                            "apply_seat_increase_config": {"is_prorated": False}}),
            recurring(w, "Scoped credit", 8, {"access": half_up}, product_id=w.credit,
                       specifiers=spec(w), access_amount={"unit_price": 5, "quantity": 1}),
        ],
        "subscriptions": [
            {"temporary_id": "team", "name": "Team seats", "description": "Per seat",
             "custom_fields": {"team": "core"}, "collection_schedule": "ARREARS",
             "proration": {"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE", "is_prorated": True,
                           "rounding": {"decimal_places": 0, "rounding_method": "FLOOR"}},
             "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": w.seats},
             "initial_quantity": 3, "starting_at": "2026-02-01T00:00:00Z",
             "ending_before": "2026-12-01T00:00:00Z",
             "billing_cycle_config": {"anchor_date": "2026-02-01T00:00:00Z",
                                      "invoice_placement": "ON_SCHEDULED_INVOICE"}},
            {"name": "Named seats", "collection_schedule": "ADVANCE",
             "proration": {"invoice_behavior": "BILL_IMMEDIATELY", "is_prorated": False},
             "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": w.seats},
             "quantity_management_mode": "SEAT_BASED",
             "seat_config": {"seat_group_key": "user", "initial_seat_ids": ["u1", "u2"],
                             "initial_unassigned_seats": 1}},
        ],
        "overrides": overrides(w),
        "spend_threshold_configuration": {
            "commit": {"product_id": w.fee, "name": "Spend charge", "description": "Top-up",
                       "priority": 9},
            "is_enabled": False, "threshold_amount": 10_000,
            "payment_gate_config": {"payment_gate_type": "STRIPE", "tax_type": "STRIPE",
                                    "stripe_config": {"payment_type": "INVOICE",
                                                      "invoice_metadata": {"po": "PO-1"}}},
            "discount_configuration": {"payment_fraction": 0.9},
        },
        "prepaid_balance_threshold_configuration": prepaid(w, **scoped(w)),
    }  # fmt: skip


def prepaid(w, **commit: Any) -> dict[str, Any]:
    return {
        "commit": {"product_id": w.commit, "name": "Recharge", "description": "Auto top-up",
                   "priority": 10, "duration": {"unit": "MONTHS", "value": 3},
                   "rate_type": "LIST_RATE", "rollover_fraction": 0.5, **commit},
        "is_enabled": False, "threshold_amount": 1000, "recharge_to_amount": 5000,
        "payment_gate_config": {"payment_gate_type": "STRIPE", "tax_type": "NONE",
                                "stripe_config": {"payment_type": "INVOICE",
                                                  "invoice_metadata": {"po": "PO-2"}}},
        "discount_configuration": {"payment_fraction": 0.5},
        "threshold_balance_specifiers": [{"exclude": [{"custom_field_filters": [
            {"entity": "Commit", "key": "deal", "value": "D-1"}]}]}],
    }  # fmt: skip


def overrides(w) -> list[dict[str, Any]]:
    """Overrides, told apart by their start (day 1 to 8 of February)."""
    calls = {"product_id": w.calls}
    items = [
        {"type": "MULTIPLIER", "multiplier": 0.8, "priority": 2, "entitled": True, **calls,
         "ending_before": "2026-06-01T00:00:00Z"},
        {"type": "MULTIPLIER", "multiplier": 0.9, "applicable_product_tags": ["usage"]},
        {"type": "OVERWRITE", "override_specifiers": spec(w), "overwrite_rate": {
            "rate_type": "TIERED", "tiers": [{"size": 100, "price": 4}, {"price": 3}]}},
        {"type": "OVERWRITE", "product_id": w.seats, "overwrite_rate": {
            "rate_type": "SUBSCRIPTION", "price": 900, "quantity": 1, "is_prorated": True}},
        {"type": "OVERWRITE", "product_id": w.fee,
         "overwrite_rate": {"rate_type": "CUSTOM", "custom_rate": {"formula": "seats * 2"}}},
        {"type": "OVERWRITE", **calls, "overwrite_rate": {"rate_type": "FLAT", "price": 4}},
        {"type": "TIERED", **calls, "tiers": [{"size": 10, "multiplier": 1}, {"multiplier": 0.5}]},
        {"type": "MULTIPLIER", "multiplier": 0.5, "is_commit_specific": True,
         "target": "COMMIT_RATE", "override_specifiers": [
             {**calls, "commit_ids": ["ca"]}, {**calls, "recurring_commit_ids": ["rc"]},
             {**calls, "any_commit_or_credit_ids": ["rcr"]}]},
    ]  # fmt: skip
    return [{**o, "starting_at": f"2026-02-0{day}T00:00:00Z"} for day, o in enumerate(items, 1)]


def read_contract(sdk, w, contract_id: str) -> dict[str, Any]:
    got = sdk.v2.contracts.retrieve(customer_id=w.customer, contract_id=contract_id).data
    return got.to_dict(mode="json")
