from django.urls import path

from pricing.api import credit_types, packages, products, rate_card_extras, rate_cards, rates

CP = "v1/contract-pricing"

urlpatterns = [
    path(
        "v1/credit-types/create",
        credit_types.CreditTypeCreateApi.as_view(),
        name="api-credit-type-create",
    ),
    path(
        "v1/credit-types/list",
        credit_types.CreditTypeListApi.as_view(),
        name="api-credit-type-list",
    ),
    path(
        "v1/credit-types/archive",
        credit_types.CreditTypeArchiveApi.as_view(),
        name="api-credit-type-archive",
    ),
    path(f"{CP}/products/create", products.ProductCreateApi.as_view(), name="api-product-create"),
    path(f"{CP}/products/get", products.ProductGetApi.as_view(), name="api-product-get"),
    path(f"{CP}/products/list", products.ProductListApi.as_view(), name="api-product-list"),
    path(f"{CP}/products/update", products.ProductUpdateApi.as_view(), name="api-product-update"),
    path(
        f"{CP}/products/archive", products.ProductArchiveApi.as_view(), name="api-product-archive"
    ),
    path(
        f"{CP}/rate-cards/create",
        rate_cards.RateCardCreateApi.as_view(),
        name="api-rate-card-create",
    ),
    path(f"{CP}/rate-cards/get", rate_cards.RateCardGetApi.as_view(), name="api-rate-card-get"),
    path(f"{CP}/rate-cards/list", rate_cards.RateCardListApi.as_view(), name="api-rate-card-list"),
    path(
        f"{CP}/rate-cards/update",
        rate_cards.RateCardUpdateApi.as_view(),
        name="api-rate-card-update",
    ),
    path(
        f"{CP}/rate-cards/archive",
        rate_cards.RateCardArchiveApi.as_view(),
        name="api-rate-card-archive",
    ),
    path(f"{CP}/rate-cards/addRate", rates.RateAddApi.as_view(), name="api-rate-add"),
    path(f"{CP}/rate-cards/addRates", rates.RatesAddApi.as_view(), name="api-rates-add"),
    path(f"{CP}/rate-cards/getRates", rates.RateListApi.as_view(), name="api-rate-list"),
    path(
        f"{CP}/rate-cards/getRateSchedule",
        rates.RateScheduleApi.as_view(),
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
    path("v1/packages/create", packages.PackageCreateApi.as_view(), name="api-package-create"),
    path("v1/packages/get", packages.PackageGetApi.as_view(), name="api-package-get"),
    path("v1/packages/list", packages.PackageListApi.as_view(), name="api-package-list"),
    path("v1/packages/archive", packages.PackageArchiveApi.as_view(), name="api-package-archive"),
]
