from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from billing_console import api_views, service_registry, views
from invoicing.providers.webhook_view import stripe_webhook
from people import views as people_views

api_patterns = [
    path("", include("customers.api.urls")),
    path("", include("usage.api.urls")),
    path("", include("pricing.api.urls")),
    path("", include("contracts.api.urls")),
    path("", include("invoicing.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("reports.api.urls")),  # v1/auditLogs
    path("", include("plans.api.urls")),  # v1/credits/*, v1/plans, v1/planDetails/*
    path("v1/customFields/addKey", api_views.CustomFieldAddKeyApi.as_view()),
    path("v1/customFields/removeKey", api_views.CustomFieldRemoveKeyApi.as_view()),
    path("v1/customFields/listKeys", api_views.CustomFieldListKeysApi.as_view()),
    path("v1/customFields/setValues", api_views.CustomFieldSetValuesApi.as_view()),
    path("v1/customFields/deleteValues", api_views.CustomFieldDeleteValuesApi.as_view()),
    path("v1/services", service_registry.ServiceListApi.as_view()),
]

urlpatterns = [
    *api_patterns,
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # an invited user chooses a password (people.views.SetPasswordView)
    path("set-password/<uidb64>/<token>/", people_views.set_password, name="people-set-password"),
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("settings/", include("billing_console.console_urls")),
    path("customers/", include("customers.urls")),
    path("", include("pricing.urls")),  # products/, rate-cards/
    path("", include("usage.urls")),  # billable-metrics/, events/
    path("", include("contracts.console.urls")),  # contracts/, packages/
    path("invoices/", include("invoicing.urls")),
    path("tax/", include("tax.urls")),  # Settings → Tax, customers' tax addresses
    path("webhooks/", include("webhooks.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("reports.urls")),  # audit-log/, reports/, exports/
    path("", include("payments.urls")),  # embed/<token>/invoices/<id>/pay, pay/<id>/..., v1/...
    path("", include("embeds.urls")),  # v1/dashboards/getEmbeddableUrl, embed/<token>/
    path("stripe/webhooks/<uuid:provider_id>", stripe_webhook, name="stripe-webhook"),
]

handler400 = "billing_console.errors.bad_request"
handler404 = "billing_console.errors.not_found"
handler500 = "billing_console.errors.server_error"
