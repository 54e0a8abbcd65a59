from django.urls import path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="contract-list"),
    path("new", views.contract_create_view, name="contract-create"),
    path("<uuid:contract_id>/", views.contract_detail, name="contract-detail"),
    path("<uuid:contract_id>/commits", views.contract_add_commit, name="contract-add-commit"),
]
