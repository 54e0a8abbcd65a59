"""Real ids of the demo, read through the API, for the second pass.

One demo customer is chosen (the one whose contract has the most kinds of terms), and every id
comes from it where it can, so that ids that must belong together do (its contract, the
contract's rate card, commits and their segments, credits, the customer's invoices and alerts).
A kind it has none of comes from the first customer that has one (a credit, a subscription, a
plan and customer plan, a credit grant, a billing provider configuration: the plan customer of
plans/demo.py has a plan and a grant), so that the call reaches the entity's own checks."""

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
    "v1.credit_grants": "credit_grant_id",
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


# The calls that take an id of these kinds with the customer (and contract) it belongs to: when
# the chosen customer has none, they get the owner's customer_id and contract_id (sdist's
# `<method or resource>:<param>` keys) so that the call reaches the entity's own checks.
OWNED_BY = {
    "customer_plan_id": ("v1.customers.plans", "v1.customers.invoices.add_charge"),
    "subscription_id": (
        "v1.contracts.retrieve_subscription_quantity_history",
        "v1.contracts.get_subscription_seats_history",
        "v1.contracts.list_seat_balances",
    ),
    "credit_id": ("v2.contracts.edit_credit",),
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


def _segment(commits: list) -> str | None:
    """The first access schedule item (segment) of the first commit."""
    schedule = (commits[0].get("access_schedule") or {}) if commits else {}
    return _first(schedule.get("schedule_items") or [])


def _others(api: _Api, customers: list[dict], ids: dict, terms_of: dict[str, list]) -> None:
    """Kinds the chosen customer lacks, from the first customer that has one."""
    owners: dict[str, dict] = {}  # kind -> the ids of the contract it was taken from
    for param in TERMS.values():
        if not ids.get(param):
            owner = next((t for terms in terms_of.values() for t in terms if t.get(param)), None)
            ids[param] = owner[param] if owner else None
            owners[param] = owner or {}
    plans = api.data("/v1/plans")
    ids["plan_id"] = _first(plans)
    if plans:
        ids["charge_id"] = _first(api.data(f"/v1/planDetails/{plans[0]['id']}/charges"))
    ids["credit_grant_id"] = _first(api.data("/v1/credits/listGrants", {}))
    for customer in sorted(customers, key=lambda c: c["id"] != ids.get("customer_id")):
        if not ids.get("customer_plan_id"):
            ids["customer_plan_id"] = _first(api.data(f"/v1/customers/{customer['id']}/plans"))
            owners["customer_plan_id"] = {"customer_id": customer["id"]}
        if not ids.get("billing_provider_configuration_id"):
            found = api.data(
                "/v1/getCustomerBillingProviderConfigurations", {"customer_id": customer["id"]}
            )
            ids["billing_provider_configuration_id"] = _first(found)  # type: ignore[arg-type]
        if not ids.get("v1.customers.credits:credit_id"):  # a customer-level credit (a grant)
            found = api.data("/v1/contracts/customerCredits/list", {"customer_id": customer["id"]})
            if found:
                ids["v1.customers.credits:credit_id"] = found[0]["id"]  # type: ignore[index]
                ids["v1.customers.credits:customer_id"] = customer["id"]
    for param, scopes in OWNED_BY.items():
        owner = owners.get(param) or {}
        for scope in scopes if ids.get(param) else ():
            for kind in ("customer_id", "contract_id"):
                if owner.get(kind):
                    ids[f"{scope}:{kind}"] = owner[kind]


def demo_ids(base_url: str, token: str) -> dict[str, str]:
    """Parameter name -> a real id of the demo (only the kinds the demo has)."""
    api = _Api(base_url, token)
    best: tuple[int, dict] = (-1, {})
    terms_of: dict[str, list[dict]] = {}  # customer -> the term ids of each of its contracts
    customers = api.data("/v1/customers")
    for customer in customers:
        for contract in api.data("/v2/contracts/list", {"customer_id": customer["id"]}):
            ids = {"customer_id": customer["id"], "contract_id": contract["id"]}
            ids["rate_card_id"] = contract.get("rate_card_id")
            for field, param in TERMS.items():
                ids[param] = _first(contract.get(field) or [])
            ids["segment_id"] = _segment(contract.get("commits") or [])
            terms_of.setdefault(customer["id"], []).append(ids)
            # commits matter most: most contract calls (balances, ledger entries, edits) take one
            score = sum(1 for value in ids.values() if value) + 3 * bool(ids["commit_id"])
            if score > best[0]:
                best = (score, ids)
    ids = dict(best[1])
    for other in terms_of.get(ids.get("customer_id", ""), []):  # kinds its contract lacks
        for param in TERMS.values():
            if not ids.get(param) and other.get(param):
                ids[param] = other[param]
                if param == "commit_id":  # the segment of that commit
                    ids["segment_id"] = other.get("segment_id")
    customer_id = ids.get("customer_id")
    if customer_id:
        invoices = api.data(f"/v1/customers/{customer_id}/invoices")
        ids["invoice_id"] = _first(invoices)
        alerts = api.data("/v1/customer-alerts/list", {"customer_id": customer_id})
        ids["alert_id"] = alerts[0]["alert"]["id"] if alerts else None
        if not ids.get("commit_id"):
            commits = api.data("/v1/contracts/customerCommits/list", {"customer_id": customer_id})
            ids["commit_id"], ids["segment_id"] = _first(commits), _segment(commits)  # type: ignore[arg-type]
        if not ids.get("credit_id"):
            credits = api.data("/v1/contracts/customerCredits/list", {"customer_id": customer_id})
            ids["credit_id"] = _first(credits)
    _others(api, customers, ids, terms_of)  # type: ignore[arg-type]
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
