"""Settings → Billing providers (mounted under /settings/billing-providers/)."""

from django.urls import path

from customers import provider_views

urlpatterns = [
    path("", provider_views.billing_provider_list, name="billing-provider-list"),
    path("create", provider_views.billing_provider_create, name="billing-provider-create"),
    path(
        "<uuid:provider_id>/update",
        provider_views.billing_provider_update,
        name="billing-provider-update",
    ),
    path(
        "<uuid:provider_id>/archive",
        provider_views.billing_provider_archive,
        name="billing-provider-archive",
    ),
]
