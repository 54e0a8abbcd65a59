from django.urls import path

from contracts.api import (
    amendments,
    balances,
    named_schedules,
    packages,
    pro_services,
    subscriptions,
    views,
)

urlpatterns = [
    path(
        "v1/packages/listContractsOnPackage",
        packages.PackageContractsApi.as_view(),
        name="api-package-contracts",
    ),
    path("v1/contracts/create", views.ContractCreateApi.as_view(), name="api-contract-create"),
    path("v1/contracts/get", views.ContractGetV1Api.as_view(), name="api-contract-get"),
    path("v1/contracts/list", views.ContractListV1Api.as_view(), name="api-contract-list"),
    path("v1/contracts/archive", views.ContractArchiveApi.as_view(), name="api-contract-archive"),
    path("v1/contracts/amend", amendments.ContractAmendApi.as_view(), name="api-contract-amend"),
    path(
        "v1/contracts/updateEndDate",
        views.ContractUpdateEndDateApi.as_view(),
        name="api-contract-update-end-date",
    ),
    path(
        "v1/contracts/addManualBalanceLedgerEntry",
        balances.ManualEntryApi.as_view(),
        name="api-contract-manual-entry",
    ),
    path(
        "v1/contracts/customerBalances/list",
        balances.BalanceListApi.as_view(),
        name="api-balances-list",
    ),
    path(
        "v1/contracts/customerBalances/getNetBalance",
        balances.NetBalanceApi.as_view(),
        name="api-net-balance",
    ),
    path(
        "v1/contracts/customerCommits/create",
        balances.CustomerCommitCreateApi.as_view(),
        name="api-customer-commit-create",
    ),
    path(
        "v1/contracts/customerCommits/list",
        balances.CustomerCommitListApi.as_view(),
        name="api-customer-commit-list",
    ),
    path(
        "v1/contracts/customerCommits/updateEndDate",
        balances.CustomerCommitEndDateApi.as_view(),
        name="api-customer-commit-end-date",
    ),
    path(
        "v1/contracts/customerCredits/create",
        balances.CustomerCreditCreateApi.as_view(),
        name="api-customer-credit-create",
    ),
    path(
        "v1/contracts/customerCredits/list",
        balances.CustomerCreditListApi.as_view(),
        name="api-customer-credit-list",
    ),
    path(
        "v1/contracts/customerCredits/updateEndDate",
        balances.CustomerCreditEndDateApi.as_view(),
        name="api-customer-credit-end-date",
    ),
    path(
        "v1/contracts/getSubscriptionQuantityHistory",
        subscriptions.QuantityHistoryApi.as_view(),
        name="api-subscription-quantity-history",
    ),
    path(
        "v1/contracts/getSubscriptionSeatsHistory",
        subscriptions.SeatsHistoryApi.as_view(),
        name="api-subscription-seats-history",
    ),
    path(
        "v1/contracts/seatBalances/list",
        subscriptions.SeatBalancesApi.as_view(),
        name="api-seat-balances-list",
    ),
    path(
        "v1/contracts/scheduleProServicesInvoice",
        pro_services.ProServicesInvoiceScheduleApi.as_view(),
        name="api-contract-schedule-pro-services-invoice",
    ),
    path(
        "v1/contracts/setUsageFilter",
        views.ContractSetUsageFilterApi.as_view(),
        name="api-contract-set-usage-filter",
    ),
    path(
        "v1/contracts/getNamedSchedule",
        named_schedules.ContractNamedScheduleGetApi.as_view(),
        name="api-contract-named-schedule-get",
    ),
    path(
        "v1/contracts/updateNamedSchedule",
        named_schedules.ContractNamedScheduleUpdateApi.as_view(),
        name="api-contract-named-schedule-update",
    ),
    path(
        "v1/contracts/listNamedSchedules",
        named_schedules.ContractNamedScheduleListApi.as_view(),
        name="api-contract-named-schedule-list",
    ),
    path("v2/contracts/get", views.ContractGetV2Api.as_view(), name="api-contract-get-v2"),
    path("v2/contracts/list", views.ContractListV2Api.as_view(), name="api-contract-list-v2"),
    path("v2/contracts/edit", views.ContractEditApi.as_view(), name="api-contract-edit-v2"),
    path(
        "v2/contracts/getEditHistory",
        views.ContractEditHistoryApi.as_view(),
        name="api-contract-edit-history-v2",
    ),
    path("v2/contracts/commits/edit", balances.CommitEditApi.as_view(), name="api-commit-edit-v2"),
    path("v2/contracts/credits/edit", balances.CreditEditApi.as_view(), name="api-credit-edit-v2"),
]
