from django.urls import include, path

from billing_console import profile, views

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("tokens/create", views.api_token_create, name="api-token-create"),
    path("tokens/<uuid:token_id>/revoke", views.api_token_revoke, name="api-token-revoke"),
    path("billing-providers/", include("customers.provider_urls")),
    path("salesforce/", include("crm.urls")),  # Salesforce connection, mappings, sync log
    path("people/", include("people.urls")),  # users, roles, failed sign-ins
    path("profile/", profile.profile, name="profile"),
]
