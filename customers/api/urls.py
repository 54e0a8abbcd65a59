from django.urls import path

from customers.api import avalara, billing_providers, named_schedules, views

urlpatterns = [
    path("v1/customers", views.CustomerCreateApi.as_view(), name="api-customers"),
    path("v1/customers/archive", views.CustomerArchiveApi.as_view(), name="api-customer-archive"),
    path(
        "v1/customers/getNamedSchedule",
        named_schedules.CustomerNamedScheduleGetApi.as_view(),
        name="api-customer-named-schedule-get",
    ),
    path(
        "v1/customers/updateNamedSchedule",
        named_schedules.CustomerNamedScheduleUpdateApi.as_view(),
        name="api-customer-named-schedule-update",
    ),
    path("v1/customers/<str:customer_id>", views.CustomerDetailApi.as_view(), name="api-customer"),
    path(
        "v1/customers/<str:customer_id>/setIngestAliases",
        views.CustomerSetIngestAliasesApi.as_view(),
        name="api-customer-set-ingest-aliases",
    ),
    path(
        "v1/customers/<str:customer_id>/setName",
        views.CustomerSetNameApi.as_view(),
        name="api-customer-set-name",
    ),
    path(
        "v1/customers/<str:customer_id>/updateConfig",
        views.CustomerUpdateConfigApi.as_view(),
        name="api-customer-update-config",
    ),
    path("v1/setUpBillingProvider", billing_providers.BillingProviderSetUpApi.as_view()),
    path("v1/listConfiguredBillingProviders", billing_providers.BillingProviderListApi.as_view()),
    path("v1/upsertAvalaraCredentials", avalara.AvalaraCredentialsUpsertApi.as_view()),
    path(
        "v1/setCustomerBillingProviderConfigurations",
        billing_providers.CustomerBillingConfigurationsSetApi.as_view(),
    ),
    path(
        "v1/getCustomerBillingProviderConfigurations",
        billing_providers.CustomerBillingConfigurationsGetApi.as_view(),
    ),
    path(
        "v1/archiveCustomerBillingProviderConfigurations",
        billing_providers.CustomerBillingConfigurationsArchiveApi.as_view(),
    ),
    path(
        "v1/customers/<str:customer_id>/billing-config/<str:provider_type>",
        billing_providers.CustomerBillingConfigApi.as_view(),
        name="api-customer-billing-config",
    ),
]
