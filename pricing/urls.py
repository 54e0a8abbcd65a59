from django.urls import path

from pricing import views

app_name = "pricing"

urlpatterns = [
    path("products/", views.product_list, name="product-list"),
    path("products/create", views.product_create, name="product-create"),
    path("products/<uuid:product_id>/", views.product_detail, name="product-detail"),
    path("products/<uuid:product_id>/edit", views.product_update, name="product-update"),
    path("products/<uuid:product_id>/archive", views.product_archive, name="product-archive"),
    path("rate-cards/", views.rate_card_list, name="rate-card-list"),
    path("rate-cards/create", views.rate_card_create, name="rate-card-create"),
    path("rate-cards/<uuid:rate_card_id>/", views.rate_card_detail, name="rate-card-detail"),
    path(
        "rate-cards/<uuid:rate_card_id>/archive", views.rate_card_archive, name="rate-card-archive"
    ),
    path("rate-cards/<uuid:rate_card_id>/rates/add", views.rate_add, name="rate-add"),
    path("rate-cards/<uuid:rate_card_id>/rates/<uuid:rate_id>/", views.rate_row, name="rate-row"),
    path(
        "rate-cards/<uuid:rate_card_id>/rates/<uuid:rate_id>/edit",
        views.rate_edit,
        name="rate-edit",
    ),
    path("packages/", views.package_list, name="package-list"),
    path("packages/create", views.package_create, name="package-create"),
    path("packages/<uuid:package_id>/", views.package_detail, name="package-detail"),
]
