from django.urls import path

from customers import provider_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("create", views.customer_create, name="customer-create"),
    path("<uuid:customer_id>/", views.customer_detail, name="customer-detail"),
    path("<uuid:customer_id>/name", views.customer_set_name, name="customer-set-name"),
    path("<uuid:customer_id>/aliases", views.customer_set_aliases, name="customer-set-aliases"),
    path("<uuid:customer_id>/fields", views.customer_set_custom_field, name="customer-set-field"),
    path(
        "<uuid:customer_id>/fields/<str:key>/delete",
        views.customer_delete_custom_field,
        name="customer-delete-field",
    ),
    path("<uuid:customer_id>/archive", views.customer_archive, name="customer-archive"),
    path(
        "<uuid:customer_id>/billing-configurations",
        provider_views.customer_billing_configuration_add,
        name="customer-billing-configuration-add",
    ),
    path(
        "<uuid:customer_id>/billing-configurations/<uuid:configuration_id>/archive",
        provider_views.customer_billing_configuration_archive,
        name="customer-billing-configuration-archive",
    ),
]
