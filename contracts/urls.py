from django.urls import path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="contract-list"),
    path("new", views.contract_create_view, name="contract-create"),
    path("<uuid:contract_id>/", views.contract_detail, name="contract-detail"),
    path("<uuid:contract_id>/commits", views.contract_add_commit, name="contract-add-commit"),
    path("<uuid:contract_id>/overrides", views.contract_add_override, name="contract-add-override"),
    path("<uuid:contract_id>/charges", views.contract_add_charge, name="contract-add-charge"),
    path("<uuid:contract_id>/terms", views.contract_update_terms, name="contract-update-terms"),
    path(
        "<uuid:contract_id>/<str:kind>/<uuid:item_id>/archive",
        views.contract_archive_item,
        name="contract-archive-item",
    ),
]
