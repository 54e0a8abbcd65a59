from django.urls import path

from contracts.api import views

urlpatterns = [
    path("v1/contracts/create", views.ContractCreateApi.as_view(), name="api-contract-create"),
    path("v1/contracts/get", views.ContractGetV1Api.as_view(), name="api-contract-get"),
    path("v1/contracts/list", views.ContractListV1Api.as_view(), name="api-contract-list"),
    path("v2/contracts/get", views.ContractGetV2Api.as_view(), name="api-contract-get-v2"),
    path("v2/contracts/list", views.ContractListV2Api.as_view(), name="api-contract-list-v2"),
]
