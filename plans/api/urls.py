from django.urls import path

from plans.api import grants, plans

CUSTOMER_PLAN = "v1/customers/<str:customer_id>/plans/<str:customer_plan_id>"

urlpatterns = [
    path("v1/credits/createGrant", grants.CreateGrantApi.as_view(), name="api-grant-create"),
    path("v1/credits/editGrant", grants.EditGrantApi.as_view(), name="api-grant-edit"),
    path("v1/credits/listGrants", grants.ListGrantsApi.as_view(), name="api-grant-list"),
    path("v1/credits/listEntries", grants.ListEntriesApi.as_view(), name="api-grant-entries"),
    path("v1/credits/voidGrant", grants.VoidGrantApi.as_view(), name="api-grant-void"),
    path("v1/plans", plans.PlanListApi.as_view(), name="api-plan-list"),
    path("v1/planDetails/<str:plan_id>", plans.PlanDetailApi.as_view(), name="api-plan-detail"),
    path(
        "v1/planDetails/<str:plan_id>/charges",
        plans.PlanChargesApi.as_view(),
        name="api-plan-charges",
    ),
    path(
        "v1/planDetails/<str:plan_id>/customers",
        plans.PlanCustomersApi.as_view(),
        name="api-plan-customers",
    ),
    path(
        "v1/customers/<str:customer_id>/plans",
        plans.CustomerPlanListApi.as_view(),
        name="api-customer-plans",
    ),
    path(
        "v1/customers/<str:customer_id>/plans/add",
        plans.CustomerPlanAddApi.as_view(),
        name="api-customer-plan-add",
    ),
    path(
        "v1/customers/<str:customer_id>/addCharge",
        plans.AddChargeApi.as_view(),
        name="api-customer-add-charge",
    ),
    path(f"{CUSTOMER_PLAN}/end", plans.CustomerPlanEndApi.as_view(), name="api-customer-plan-end"),
    path(
        f"{CUSTOMER_PLAN}/priceAdjustments",
        plans.PriceAdjustmentsApi.as_view(),
        name="api-customer-plan-price-adjustments",
    ),
]
