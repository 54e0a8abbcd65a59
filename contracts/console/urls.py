from django.urls import include, path

from contracts.console import billing as billing_views
from contracts.console import (
    charges,
    customer_commits,
    end_date,
    external_ids,
    package_views,
    services_terms,
    views,
)
from contracts.console import items as views_items
from contracts.console import thresholds as threshold_views

app_name = "contracts"

ITEM = "<uuid:contract_id>/{}/<uuid:item_id>/{}"

contract_patterns = [
    path("", views.contract_list, name="contract-list"),
    # Customer-level commits and credits: a card of the customer page (customers imports no
    # contracts code, so the card is served from here and loaded into that page).
    path(
        "customers/<uuid:customer_id>/commits",
        customer_commits.customer_commits,
        name="customer-commits",
    ),
    path(
        "customers/<uuid:customer_id>/commits/add",
        customer_commits.customer_commit_add,
        name="customer-commit-add",
    ),
    path(
        "customers/<uuid:customer_id>/commits/<uuid:commit_id>/end-date",
        customer_commits.customer_commit_end_date,
        name="customer-commit-end-date",
    ),
    path("new", views.contract_create_view, name="contract-create"),
    path("<uuid:contract_id>/", views.contract_detail, name="contract-detail"),
    path("<uuid:contract_id>/history", views.contract_history, name="contract-history"),
    path("<uuid:contract_id>/commits", views.contract_add_commit, name="contract-add-commit"),
    path("<uuid:contract_id>/overrides", views.contract_add_override, name="contract-add-override"),
    path("<uuid:contract_id>/charges", views.contract_add_charge, name="contract-add-charge"),
    path(
        "<uuid:contract_id>/discounts",
        services_terms.contract_add_discount,
        name="contract-add-discount",
    ),
    path(
        "<uuid:contract_id>/pro-services",
        services_terms.contract_add_pro_service,
        name="contract-add-pro-service",
    ),
    path(
        ITEM.format("pro-services", "invoice"),
        services_terms.pro_service_invoice,
        name="contract-pro-service-invoice",
    ),
    path(
        "<uuid:contract_id>/recurring", views.contract_add_recurring, name="contract-add-recurring"
    ),
    path(
        "<uuid:contract_id>/subscriptions",
        views.contract_add_subscription,
        name="contract-add-subscription",
    ),
    path(  # the name and end-date form, with its preview step
        "<uuid:contract_id>/terms", end_date.contract_update_terms, name="contract-update-terms"
    ),
    path(
        "<uuid:contract_id>/external-ids",
        external_ids.contract_external_ids,
        name="contract-external-ids",
    ),
    path(
        "<uuid:contract_id>/billing-provider",
        billing_views.contract_billing_configuration_assign,
        name="contract-billing-provider",
    ),
    path(
        "<uuid:contract_id>/billing-provider/archive",
        billing_views.contract_billing_configuration_archive,
        name="contract-billing-provider-archive",
    ),
    path(  # kind: spend (threshold billing) or recharge (auto-recharge)
        "<uuid:contract_id>/thresholds/<str:kind>",
        threshold_views.contract_threshold_set,
        name="contract-threshold-set",
    ),
    path(
        "<uuid:contract_id>/thresholds/<str:kind>/off",
        threshold_views.contract_threshold_off,
        name="contract-threshold-off",
    ),
    path(ITEM.format("commits", "edit"), views_items.commit_edit, name="contract-edit-commit"),
    path(
        ITEM.format("overrides", "edit"), views_items.override_edit, name="contract-edit-override"
    ),
    path(
        ITEM.format("recurring", "edit"), views_items.recurring_edit, name="contract-edit-recurring"
    ),
    path(
        ITEM.format("subscriptions", "quantity"),
        views_items.subscription_quantity,
        name="contract-subscription-quantity",
    ),
    path(
        ITEM.format("subscriptions", "seats"),
        views_items.subscription_seats,
        name="contract-subscription-seats",
    ),
    path(
        ITEM.format("subscriptions", "end"),
        views_items.subscription_end,
        name="contract-subscription-end",
    ),
    path(  # one item of a scheduled charge; the whole charge is contract-archive-item
        "<uuid:contract_id>/charge-items/<uuid:item_id>/archive",
        charges.charge_item_archive,
        name="contract-archive-charge-item",
    ),
    path(
        "<uuid:contract_id>/<str:kind>/<uuid:item_id>/archive",
        views.contract_archive_item,
        name="contract-archive-item",
    ),
]

# Packages: contract terms kept for later, built with the contract page's forms; their pages stay
# at /packages/ (Catalog in the menu).
package_patterns = [
    path("", package_views.package_list, name="package-list"),
    path("create", package_views.package_create, name="package-create"),
    path("<uuid:package_id>/", package_views.package_detail, name="package-detail"),
]

# Mounted at the site root (billing_console/urls.py), all in the "contracts" namespace.
urlpatterns = [
    path("contracts/", include(contract_patterns)),
    path("packages/", include(package_patterns)),
]
