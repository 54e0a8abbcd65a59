from django.urls import path

from pricing.console import product_views, rate_card_views, rate_change_views

app_name = "pricing"

urlpatterns = [
    path("products/", product_views.product_list, name="product-list"),
    path("products/create", product_views.product_create, name="product-create"),
    path("products/<uuid:product_id>/", product_views.product_detail, name="product-detail"),
    path("products/<uuid:product_id>/edit", product_views.product_update, name="product-update"),
    path(
        "products/<uuid:product_id>/archive",
        product_views.product_archive,
        name="product-archive",
    ),
    path("rate-cards/", rate_card_views.rate_card_list, name="rate-card-list"),
    path("rate-cards/create", rate_card_views.rate_card_create, name="rate-card-create"),
    path(
        "rate-cards/<uuid:rate_card_id>/",
        rate_card_views.rate_card_detail,
        name="rate-card-detail",
    ),
    path(
        "rate-cards/<uuid:rate_card_id>/archive",
        rate_card_views.rate_card_archive,
        name="rate-card-archive",
    ),
    path("rate-cards/<uuid:rate_card_id>/rates/add", rate_card_views.rate_add, name="rate-add"),
    path(
        "rate-cards/<uuid:rate_card_id>/rates/<uuid:rate_id>/",
        rate_card_views.rate_row,
        name="rate-row",
    ),
    path(
        "rate-cards/<uuid:rate_card_id>/rates/<uuid:rate_id>/edit",
        rate_card_views.rate_edit,
        name="rate-edit",
    ),
    path(
        "rate-cards/<uuid:rate_card_id>/rates/<uuid:rate_id>/change",
        rate_change_views.rate_change,
        name="rate-change",
    ),
]
