"""The audit walk's client (test_audit_coverage): API and console calls made with one IP
and a user agent naming the change, and the prerequisites it makes once, as set-up."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

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

    def stripe_configuration(self, customer_id: str, stripe_id: str, **configuration: str) -> str:
        body = {"data": [{"customer_id": customer_id, "billing_provider": "stripe",
                          "delivery_method_id": self.stripe_entity(),
                          "configuration": {"stripe_customer_id": stripe_id, **configuration}}]}  # fmt: skip
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


def schedule(amount: int, at: str = "2026-01-01T00:00:00Z", end: str = "2027-01-01T00:00:00Z"):
    return {"schedule_items": [{"amount": amount, "starting_at": at, "ending_before": end}]}
