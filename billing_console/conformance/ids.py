"""Real ids of the demo, read through the API, for the second pass.

One demo customer is chosen (the one whose contract has the most kinds of terms), and every id
comes from it where it can, so that ids that must belong together do (its contract, the
contract's rate card, commits and credits, the customer's invoices and alerts)."""

import httpx

# A bare `id=` parameter: which kind of id it is, by the test module's resource.
ID_KIND = {
    "v1.alerts": "alert_id",
    "v1.customers": "customer_id",
    "v1.contracts": "commit_id",  # add_manual_balance_entry: the commit's or credit's id
    "v1.billable_metrics": "billable_metric_id",
    "v1.invoices": "invoice_id",
    "v1.contracts.products": "product_id",
    "v1.contracts.rate_cards": "rate_card_id",
    "v1.pricing_units": "custom_credit_type_id",
    "v2.notifications.offset": "notification_id",
}
# Parameters that name the same kind of id as another one.
SAME_AS = {
    "invoice_contract_id": "contract_id",
    "entity_id": "customer_id",  # custom fields: the tests' entity is a customer
    "fiat_credit_type_id": "credit_type_id",
    "fiat_currency_credit_type_id": "credit_type_id",
}
# A contract's (v2 get) lists of terms and the parameter naming one of them.
TERMS = {
    "commits": "commit_id",
    "credits": "credit_id",
    "subscriptions": "subscription_id",
    "scheduled_charges": "scheduled_charge_id",
    "recurring_commits": "recurring_commit_id",
    "recurring_credits": "recurring_credit_id",
    "professional_services": "professional_service_id",
}


class _Api:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def data(self, path: str, body: dict | None = None) -> list | dict:
        answer = self.http.post(path, json=body or {}) if body is not None else self.http.get(path)
        answer.raise_for_status()
        return answer.json()["data"]


def _first(items: list, key: str = "id") -> str | None:
    return items[0][key] if items else None


def demo_ids(base_url: str, token: str) -> dict[str, str]:
    """Parameter name -> a real id of the demo (only the kinds the demo has)."""
    api = _Api(base_url, token)
    best: tuple[int, dict] = (-1, {})
    terms_of: dict[str, list[dict]] = {}  # customer -> the term ids of each of its contracts
    for customer in api.data("/v1/customers"):
        for contract in api.data("/v2/contracts/list", {"customer_id": customer["id"]}):
            ids = {"customer_id": customer["id"], "contract_id": contract["id"]}
            ids["rate_card_id"] = contract.get("rate_card_id")
            for field, param in TERMS.items():
                ids[param] = _first(contract.get(field) or [])
            terms_of.setdefault(customer["id"], []).append(ids)
            # commits matter most: most contract calls (balances, ledger entries, edits) take one
            score = sum(1 for value in ids.values() if value) + 3 * bool(ids["commit_id"])
            if score > best[0]:
                best = (score, ids)
    ids = dict(best[1])
    for other in terms_of.get(ids.get("customer_id", ""), []):  # kinds its contract lacks
        for param in TERMS.values():
            ids[param] = ids.get(param) or other.get(param)
    customer_id = ids.get("customer_id")
    if customer_id:
        invoices = api.data(f"/v1/customers/{customer_id}/invoices")
        ids["invoice_id"] = _first(invoices)
        alerts = api.data("/v1/customer-alerts/list", {"customer_id": customer_id})
        ids["alert_id"] = alerts[0]["alert"]["id"] if alerts else None
        if not ids.get("commit_id"):
            commits = api.data("/v1/contracts/customerCommits/list", {"customer_id": customer_id})
            ids["commit_id"] = _first(commits)
        if not ids.get("credit_id"):
            credits = api.data("/v1/contracts/customerCredits/list", {"customer_id": customer_id})
            ids["credit_id"] = _first(credits)
    ids["product_id"] = _first(api.data("/v1/contract-pricing/products/list", {}))
    ids["billable_metric_id"] = _first(api.data("/v1/billable-metrics"))
    ids["package_id"] = _first(api.data("/v1/packages/list", {}))
    ids["notification_id"] = _first(api.data("/v2/notifications/offset/list", {}))
    credit_types = api.data("/v1/credit-types/list")
    fiat = [t for t in credit_types if t.get("is_currency") and t["name"].startswith("USD")]
    custom = [t for t in credit_types if not t.get("is_currency")]
    ids["credit_type_id"] = _first(fiat)
    ids["custom_credit_type_id"] = _first(custom)
    for alias, kind in SAME_AS.items():
        ids[alias] = ids.get(kind)
    return {param: value for param, value in ids.items() if value}
