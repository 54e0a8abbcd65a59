"""Credit grant endpoints (Metronome 1.0, /v1/credits/*)."""

import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    ApplicationError,
    MomentField,
    data_response,
    paginated_response,
    sequence_response,
    validated,
)
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import request_object
from customers.models import Customer
from plans import credit_grants
from plans.grant_wire import grant_to_wire, ledger_to_wire
from plans.models import CreditGrant


def _ids() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=64), required=False)


def _uuids(values: list[str], field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError:
        raise ApplicationError(f"{field}: must be a list of ids.") from None


class CreateGrantApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("GrantCreate", IdSerializer()))
    def post(self, request: Request) -> Response:
        grant = credit_grants.credit_grant_create(data=request_object(request))
        return data_response({"id": str(grant.public_id)})


class EditGrantApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("GrantEdit", IdSerializer()))
    def post(self, request: Request) -> Response:
        grant = credit_grants.credit_grant_edit(data=request_object(request))
        return data_response({"id": str(grant.public_id)})


class VoidInput(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    release_uniqueness_key = serializers.BooleanField(required=False, default=False)
    void_credit_purchase_invoice = serializers.BooleanField(required=False, default=False)


class VoidGrantApi(APIView):
    @extend_schema(request=VoidInput, responses=envelope("GrantVoid", IdSerializer()))
    def post(self, request: Request) -> Response:
        data = validated(VoidInput, request.data)
        grant = credit_grants.credit_grant_void(
            grant=credit_grants.credit_grant_get(data["id"]),
            release_uniqueness_key=data["release_uniqueness_key"],
            void_invoice=data["void_credit_purchase_invoice"],
        )
        return data_response({"id": str(grant.public_id)})


class ListInput(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    next_page = serializers.CharField(required=False, allow_null=True)
    credit_grant_ids = _ids()
    credit_type_ids = _ids()
    customer_ids = _ids()
    effective_before = MomentField(required=False)
    not_expiring_before = MomentField(required=False)


class ListGrantsApi(APIView):
    @extend_schema(request=ListInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(ListInput, request.data)
        qs = CreditGrant.objects.filter(voided_at__isnull=True).select_related(
            "customer", "commit", "grant_credit_type", "paid_credit_type"
        )
        if data.get("credit_grant_ids"):
            if data.get("credit_type_ids") or data.get("customer_ids"):
                raise ApplicationError(
                    "credit_grant_ids: neither credit_type_ids nor customer_ids may be given with it."
                )
            qs = qs.filter(public_id__in=_uuids(data["credit_grant_ids"], "credit_grant_ids"))
        if data.get("credit_type_ids"):
            ids = _uuids(data["credit_type_ids"], "credit_type_ids")
            qs = qs.filter(grant_credit_type__public_id__in=ids)
        if data.get("customer_ids"):
            qs = qs.filter(customer__public_id__in=_uuids(data["customer_ids"], "customer_ids"))
        if data.get("effective_before"):
            qs = qs.filter(effective_at__lt=data["effective_before"])
        if data.get("not_expiring_before"):
            qs = qs.filter(expires_at__gte=data["not_expiring_before"])
        now = timezone.now()
        return paginated_response(request, qs, lambda g: grant_to_wire(g, now=now))


class EntriesInput(serializers.Serializer):
    next_page = serializers.CharField(required=False, allow_null=True)
    sort = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="asc")
    credit_type_ids = _ids()
    customer_ids = _ids()
    ending_before = MomentField(required=False)
    starting_on = MomentField(required=False)


class ListEntriesApi(APIView):
    """One item per customer with grants: a ledger per credit type of its grants."""

    @extend_schema(request=EntriesInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(EntriesInput, request.data)
        now = timezone.now()
        if data.get("ending_before") and data["ending_before"] > now:
            raise ApplicationError("ending_before: must not be in the future.")
        grants = CreditGrant.objects.filter(voided_at__isnull=True).select_related(
            "customer", "grant_credit_type"
        )
        if data.get("customer_ids"):
            ids = _uuids(data["customer_ids"], "customer_ids")
            grants = grants.filter(customer__public_id__in=ids)
        if data.get("credit_type_ids"):
            ids = _uuids(data["credit_type_ids"], "credit_type_ids")
            grants = grants.filter(grant_credit_type__public_id__in=ids)
        by_customer: dict[int, dict[int, list[CreditGrant]]] = {}
        for grant in grants.order_by("customer_id", "grant_credit_type_id", "pk"):
            by_type = by_customer.setdefault(grant.customer_id, {})
            by_type.setdefault(grant.grant_credit_type_id, []).append(grant)
        customers = Customer.objects.in_bulk(list(by_customer))

        def wire(customer_pk: int) -> dict[str, Any]:
            return {
                "customer_id": str(customers[customer_pk].public_id),
                "ledgers": [
                    ledger_to_wire(
                        group,
                        starting_on=data.get("starting_on"),
                        ending_before=data.get("ending_before"),
                        descending=data["sort"] == "desc",
                        now=now,
                    )
                    for group in by_customer[customer_pk].values()
                ],
            }

        return sequence_response(request, sorted(by_customer), wire)
