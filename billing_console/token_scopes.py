"""What a read-only API token may call: every GET, and the POSTs that only read.

Metronome reads with POST too (`/v1/contracts/list`, `/v1/usage`, `/v1/events/search`, ...), so
the method alone cannot tell. Each POST route of the API is classified here by its route, the
path pattern of the API urls files (the Metronome path; some routes have no URL name):
READ_POSTS only read, WRITE_POSTS change something. A test walks every API URL pattern, so a
new POST route must be added to one of the two. Any other method (PUT, PATCH, DELETE) writes.

A read-only token is refused before the view runs (billing_console.auth), with a 403 and a
`{"message": ...}` body; nothing is written, not even the token's last use. The ingest front
refuses it in its own statement and leaves the request to the view (usage/ingest_front.py).
"""

READ_ONLY_TOKEN_REFUSED = (
    "This API token is read-only: {method} {path} changes data. Use a full-access token."
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

READ_POSTS = frozenset({
    # customers
    "v1/customers/getNamedSchedule",
    "v1/listConfiguredBillingProviders",
    "v1/getCustomerBillingProviderConfigurations",
    "v1/customFields/listKeys",
    "v1/dashboards/getEmbeddableUrl",  # signs a URL; stores nothing
    # usage
    "v1/usage",
    "v1/usage/groups",
    "v1/events/search",
    # pricing
    "v1/contract-pricing/products/get",
    "v1/contract-pricing/products/list",
    "v1/contract-pricing/rate-cards/get",
    "v1/contract-pricing/rate-cards/list",
    "v1/contract-pricing/rate-cards/getRates",
    "v1/contract-pricing/rate-cards/getRateSchedule",
    "v1/contract-pricing/rate-cards/getNamedSchedule",
    "v1/packages/get",
    "v1/packages/list",
    "v1/packages/listContractsOnPackage",
    # contracts and balances
    "v1/contracts/get",
    "v1/contracts/list",
    "v1/contracts/customerBalances/list",
    "v1/contracts/customerBalances/getNetBalance",
    "v1/contracts/customerCommits/list",
    "v1/contracts/customerCredits/list",
    # plans (Metronome 1.0)
    "v1/credits/listGrants",
    "v1/credits/listEntries",
    "v1/contracts/getSubscriptionQuantityHistory",
    "v1/contracts/getSubscriptionSeatsHistory",
    "v1/contracts/seatBalances/list",
    "v1/contracts/getNamedSchedule",
    "v1/contracts/listNamedSchedules",
    "v1/contracts/getContractRateSchedule",
    "v2/contracts/get",
    "v2/contracts/list",
    "v2/contracts/getEditHistory",
    # invoices
    "v1/customers/<str:customer_id>/previewEvents",  # computes draft statements; stores nothing
    # alerts
    "v1/customer-alerts/list",
    "v1/customer-alerts/get",
    "v2/notifications/get",
    "v2/notifications/offset/list",
    "v2/notifications/system/list",
})  # fmt: skip

WRITE_POSTS = frozenset({
    # customers
    "v1/customers",  # GET lists (allowed), POST creates
    "v1/customers/archive",
    "v1/customers/updateNamedSchedule",
    "v1/customers/<str:customer_id>/setIngestAliases",
    "v1/customers/<str:customer_id>/setName",
    "v1/customers/<str:customer_id>/updateConfig",
    "v1/customers/<str:customer_id>/billing-config/<str:provider_type>",
    "v1/setUpBillingProvider",
    "v1/upsertAvalaraCredentials",
    "v1/setCustomerBillingProviderConfigurations",
    "v1/archiveCustomerBillingProviderConfigurations",
    "v1/customFields/addKey",
    # plans (Metronome 1.0)
    "v1/credits/createGrant",
    "v1/credits/editGrant",
    "v1/credits/voidGrant",
    "v1/customers/<str:customer_id>/plans/add",
    "v1/customers/<str:customer_id>/addCharge",
    "v1/customers/<str:customer_id>/plans/<str:customer_plan_id>/end",
    "v1/customFields/removeKey",
    "v1/customFields/setValues",
    "v1/customFields/deleteValues",
    # usage
    "v1/ingest",
    "v1/billable-metrics/create",
    "v1/billable-metrics/archive",
    # pricing
    "v1/credit-types/create",
    "v1/credit-types/archive",
    "v1/contract-pricing/products/create",
    "v1/contract-pricing/products/update",
    "v1/contract-pricing/products/archive",
    "v1/contract-pricing/rate-cards/create",
    "v1/contract-pricing/rate-cards/update",
    "v1/contract-pricing/rate-cards/archive",
    "v1/contract-pricing/rate-cards/addRate",
    "v1/contract-pricing/rate-cards/addRates",
    "v1/contract-pricing/rate-cards/updateNamedSchedule",
    "v1/contract-pricing/rate-cards/setRateCardProductsOrder",
    "v1/contract-pricing/rate-cards/moveRateCardProducts",
    "v1/packages/create",
    "v1/packages/archive",
    # contracts and balances
    "v1/contracts/create",
    "v1/contracts/archive",
    "v1/contracts/amend",
    "v1/contracts/createHistoricalInvoices",
    "v1/contracts/updateEndDate",
    "v1/contracts/scheduleProServicesInvoice",
    "v1/contracts/addManualBalanceLedgerEntry",
    "v1/contracts/customerCommits/create",
    "v1/contracts/customerCommits/updateEndDate",
    "v1/contracts/customerCredits/create",
    "v1/contracts/customerCredits/updateEndDate",
    "v1/contracts/setUsageFilter",
    "v1/contracts/updateNamedSchedule",
    "v2/contracts/edit",
    "v2/contracts/commits/edit",
    "v2/contracts/credits/edit",
    # invoices
    "v1/invoices/void",
    "v1/invoices/regenerate",
    # alerts
    "v1/alerts/create",
    "v1/alerts/archive",
    "v1/customer-alerts/reset",
    "v2/notifications/create",
    "v2/notifications/edit",
    "v2/notifications/archive",
    # payments
    "v1/invoices/createPaymentLink",  # opens (or reuses) a Stripe Checkout Session
    "v1/contracts/paymentGates/recordExternalPayment",
})  # fmt: skip


def read_only_may_call(method: str, route: str | None) -> bool:
    """Whether a read-only token may make this call. `route`: the matched URL pattern, None
    when unknown (refused unless the method is safe)."""
    if method in SAFE_METHODS:
        return True
    return method == "POST" and route in READ_POSTS
