"""Demo alerts and lifecycle notifications: spend, per-model spend, low balance, invoice total
and usage alerts, evaluated now for every demo customer; renewal and credit-expiry offsets; and
the contract.create / commit.create system events turned on. Idempotent by uniqueness_key.

The alerts that apply to every customer are scoped to the demo's own by the custom field on
their contracts (customers.demo.MARK_FILTER, a Contract filter: the SDK's only entities are
Contract, Commit, ContractCredit and ContractCreditOrCommit): a user's customers never raise
the demo's alerts."""

from typing import Any

from alerts.evaluation import customers_evaluate
from alerts.lifecycle import offset_notification_create, system_notification_set
from alerts.models import WIRE_ENTITIES, Alert, OffsetNotification
from alerts.services import alert_archive, alert_create
from customers import demo as customers_demo
from customers.models import IngestAlias
from usage.models import BillableMetric


def _alerts() -> list[dict[str, Any]]:
    acme = (
        IngestAlias.objects.filter(alias="acme", customer__in=customers_demo.customers())
        .select_related("customer")
        .first()
    )
    tokens = BillableMetric.objects.active().filter(name="Input tokens").first()
    demo = customers_demo.MARK_FILTER
    alerts: list[dict[str, Any]] = [
        {"uniqueness_key": "demo-spend-250", "alert_type": "spend_threshold_reached",
         "name": "Monthly spend over $250", "threshold": 25_000, "custom_field_filters": [demo]},
        {"uniqueness_key": "demo-spend-per-model", "alert_type": "spend_threshold_reached",
         "name": "Spend per model over $60", "threshold": 6_000, "group_values": [{"key": "model"}],
         "custom_field_filters": [demo]},
        {"uniqueness_key": "demo-invoice-200", "alert_type": "invoice_total_reached",
         "name": "Usage invoice over $200", "threshold": 20_000, "invoice_types_filter": ["USAGE"],
         "custom_field_filters": [demo]},
        {"uniqueness_key": "demo-enterprise-spend", "alert_type": "spend_threshold_reached",
         "name": "Enterprise accounts over $220", "threshold": 22_000,
         "custom_field_filters": [{"entity": "Contract", "key": "tier", "value": "enterprise"}, demo]},
    ]  # fmt: skip
    if acme is not None:
        alerts.append({
            "uniqueness_key": "demo-acme-low-balance",
            "alert_type": "low_remaining_contract_credit_and_commit_balance_reached",
            "name": "Acme prepaid balance under $50,000", "threshold": 5_000_000,
            "customer_id": str(acme.customer.public_id),
        })  # fmt: skip
    if tokens is not None:
        alerts.append({
            "uniqueness_key": "demo-tokens-50m", "alert_type": "usage_threshold_reached",
            "name": "50M input tokens this period", "threshold": 50_000_000,
            "billable_metric_id": str(tokens.public_id), "custom_field_filters": [demo],
        })  # fmt: skip
    return alerts


NOTIFICATIONS = (
    ("demo-renewal-30d", "Renewal reminder (30 days before contract end)", "contract.end", "-P30D"),
    (
        "demo-welcome-3d",
        "Onboarding check-in (3 days after contract start)",
        "contract.start",
        "P3D",
    ),
    ("demo-credit-expiring-7d", "Credit expiring in 7 days", "credit.segment.end", "-P7D"),
)


def load(stdout) -> None:
    created = 0
    for body in _alerts():
        existing = Alert.objects.filter(uniqueness_key=body["uniqueness_key"]).first()
        if existing is not None and any(
            f["entity"] not in WIRE_ENTITIES for f in existing.custom_field_filters
        ):  # an earlier demo's Customer filter, which the SDK cannot read: replaced
            alert_archive(alert=existing, release_uniqueness_key=True)
            existing = None
        if existing is None:
            alert_create(data=body)
            created += 1
    for key, name, event_type, offset in NOTIFICATIONS:
        if not OffsetNotification.objects.filter(uniqueness_key=key).exists():
            offset_notification_create(
                data={"name": name, "policy": {"type": event_type, "offset": offset},
                      "uniqueness_key": key},
                created_by="demo",
            )  # fmt: skip
    for event_type in ("contract.create", "commit.create", "credit.create"):
        system_notification_set(event_type=event_type, is_enabled=True)
    # Evaluate now so the console shows states at once (the worker would within seconds).
    customers = customers_demo.customers().values_list("pk", flat=True)
    changed = customers_evaluate(customers, triggered_by="create")
    stdout.write(f"Alerts demo: {created} new alerts, {changed} customer states changed.")
