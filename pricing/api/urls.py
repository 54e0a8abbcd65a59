from django.urls import path

from pricing.api import rate_card_extras, views

CP = "v1/contract-pricing"

urlpatterns = [
    path(
        "v1/credit-types/create", views.CreditTypeCreateApi.as_view(), name="api-credit-type-create"
    ),
    path("v1/credit-types/list", views.CreditTypeListApi.as_view(), name="api-credit-type-list"),
    path(
        "v1/credit-types/archive",
        views.CreditTypeArchiveApi.as_view(),
        name="api-credit-type-archive",
    ),
    path(f"{CP}/products/create", views.ProductCreateApi.as_view(), name="api-product-create"),
    path(f"{CP}/products/get", views.ProductGetApi.as_view(), name="api-product-get"),
    path(f"{CP}/products/list", views.ProductListApi.as_view(), name="api-product-list"),
    path(f"{CP}/products/update", views.ProductUpdateApi.as_view(), name="api-product-update"),
    path(f"{CP}/products/archive", views.ProductArchiveApi.as_view(), name="api-product-archive"),
    path(f"{CP}/rate-cards/create", views.RateCardCreateApi.as_view(), name="api-rate-card-create"),
    path(f"{CP}/rate-cards/get", views.RateCardGetApi.as_view(), name="api-rate-card-get"),
    path(f"{CP}/rate-cards/list", views.RateCardListApi.as_view(), name="api-rate-card-list"),
    path(f"{CP}/rate-cards/update", views.RateCardUpdateApi.as_view(), name="api-rate-card-update"),
    path(
        f"{CP}/rate-cards/archive", views.RateCardArchiveApi.as_view(), name="api-rate-card-archive"
    ),
    path(f"{CP}/rate-cards/addRate", views.RateAddApi.as_view(), name="api-rate-add"),
    path(f"{CP}/rate-cards/addRates", views.RatesAddApi.as_view(), name="api-rates-add"),
    path(f"{CP}/rate-cards/getRates", views.RateListApi.as_view(), name="api-rate-list"),
    path(
        f"{CP}/rate-cards/getRateSchedule",
        views.RateScheduleApi.as_view(),
        name="api-rate-card-schedule",
    ),
    path(
        f"{CP}/rate-cards/getNamedSchedule",
        rate_card_extras.RateCardNamedScheduleGetApi.as_view(),
        name="api-rate-card-named-schedule-get",
    ),
    path(
        f"{CP}/rate-cards/updateNamedSchedule",
        rate_card_extras.RateCardNamedScheduleUpdateApi.as_view(),
        name="api-rate-card-named-schedule-update",
    ),
    path(
        f"{CP}/rate-cards/setRateCardProductsOrder",
        rate_card_extras.RateCardProductsOrderSetApi.as_view(),
        name="api-rate-card-products-order-set",
    ),
    path(
        f"{CP}/rate-cards/moveRateCardProducts",
        rate_card_extras.RateCardProductsMoveApi.as_view(),
        name="api-rate-card-products-move",
    ),
    path("v1/packages/create", views.PackageCreateApi.as_view(), name="api-package-create"),
    path("v1/packages/get", views.PackageGetApi.as_view(), name="api-package-get"),
    path("v1/packages/list", views.PackageListApi.as_view(), name="api-package-list"),
    path("v1/packages/archive", views.PackageArchiveApi.as_view(), name="api-package-archive"),
    path(
        "v1/packages/listContractsOnPackage",
        views.PackageContractsApi.as_view(),
        name="api-package-contracts",
    ),
]
