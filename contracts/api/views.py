"""Contract endpoints (Metronome wire format)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import ApplicationError, MomentField, data_response, validated
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import request_object
from contracts import edits, end_date, selectors, services
from contracts.models import Contract
from contracts.terms.amendments import amendments_to_wire, initial_terms
from contracts.terms.usage_filters import contract_usage_filter_set, usage_filter_to_wire
from contracts.wire.write import contract_to_wire
from customers.selectors import customer_get
from invoicing.contract_archive import contract_archive
from invoicing.new_contract import contract_invoices_on_create

_body = request_object


def api_contract_get(customer: Any, contract_id: str) -> Contract:
    return selectors.contract_get(customer=customer, contract_id=contract_id)


class ContractCreateApi(APIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT, responses=envelope("ContractCreateResponse", IdSerializer())
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        if not body.get("customer_id"):
            raise ApplicationError("customer_id: is required.")
        customer = customer_get(str(body["customer_id"]))
        contract = services.contract_create(
            customer=customer, data={k: v for k, v in body.items() if k != "customer_id"}
        )
        contract_invoices_on_create(contract=contract)  # its drafts exist when we answer
        return data_response({"id": str(contract.public_id)})


class ContractGetInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64)
    include_balance = serializers.BooleanField(required=False, default=False)
    include_ledgers = serializers.BooleanField(required=False, default=False)
    as_of_date = MomentField(required=False)


class ContractGetV2Api(APIView):
    @extend_schema(request=ContractGetInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(ContractGetInput, request.data)
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        return data_response(
            contract_to_wire(
                contract,
                include_balance=data["include_balance"],
                include_ledgers=data["include_ledgers"],
            )
        )


def _v1(contract: Contract, **flags: bool) -> dict[str, Any]:
    """v1 keeps the initial terms, a current view and the amendments (/v1/contracts/amend) with
    the terms each added: `initial` is the terms less those (contracts.terms.amendments)."""
    v2 = contract_to_wire(contract, **flags)
    terms = {
        k: v
        for k, v in v2.items()
        if k not in ("id", "customer_id", "archived_at", "custom_fields", "uniqueness_key")
    }
    terms["usage_filter"] = usage_filter_to_wire(contract, v1=True)
    # v1 lists royalty segments flat (ContractWithoutAmendments), v2 groups them by type.
    terms["reseller_royalties"] = [s for g in v2["reseller_royalties"] for s in g["segments"]]
    amendments = amendments_to_wire(contract)
    return {
        "id": v2["id"],
        "customer_id": v2["customer_id"],
        "archived_at": v2["archived_at"],
        "custom_fields": v2["custom_fields"],
        "uniqueness_key": v2["uniqueness_key"],
        "spend_trackers": v2["spend_trackers"],
        "initial": initial_terms(terms, amendments),
        "current": terms,
        "amendments": amendments,
    }


class ContractGetV1Api(APIView):
    @extend_schema(request=ContractGetInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(ContractGetInput, request.data)
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        return data_response(
            _v1(
                contract,
                include_balance=data["include_balance"],
                include_ledgers=data["include_ledgers"],
            )
        )


class ContractListInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    include_archived = serializers.BooleanField(required=False, default=False)
    include_balance = serializers.BooleanField(required=False, default=False)
    include_ledgers = serializers.BooleanField(required=False, default=False)
    covering_date = MomentField(required=False)
    starting_at = MomentField(required=False)


def _list(request: Request, wire: Any) -> Response:
    data = validated(ContractListInput, request.data)
    qs = selectors.contract_list(
        customer=customer_get(data["customer_id"]), include_archived=data["include_archived"]
    )
    if data.get("covering_date"):
        at = data["covering_date"]
        qs = [
            c
            for c in qs
            if c.starting_at <= at and (c.ending_before is None or at < c.ending_before)
        ]
    elif data.get("starting_at"):
        qs = qs.filter(starting_at__gte=data["starting_at"])
    flags = {"include_balance": data["include_balance"], "include_ledgers": data["include_ledgers"]}
    rows = list(qs)
    return Response({"data": [wire(c, **flags) for c in rows], "next_page": None})


class ContractListV2Api(APIView):
    @extend_schema(request=ContractListInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        return _list(request, contract_to_wire)


class ContractListV1Api(APIView):
    @extend_schema(request=ContractListInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        return _list(request, _v1)


# --- archive, end date, edits -------------------------------------------------------------


class ContractRefInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64)


class ContractArchiveInput(ContractRefInput):
    void_invoices = serializers.BooleanField()


class ContractArchiveApi(APIView):
    @extend_schema(
        request=ContractArchiveInput, responses=envelope("ContractArchive", IdSerializer())
    )
    def post(self, request: Request) -> Response:
        data = validated(ContractArchiveInput, request.data)
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        contract_archive(contract=contract, void_invoices=data["void_invoices"])
        return data_response({"id": str(contract.public_id)})


class ContractUpdateEndDateInput(ContractRefInput):
    allow_ending_before_finalized_invoice = serializers.BooleanField(required=False, default=True)
    ending_before = MomentField(required=False, allow_null=True, default=None)


class ContractUpdateEndDateApi(APIView):
    @extend_schema(
        request=ContractUpdateEndDateInput, responses=envelope("ContractEndDate", IdSerializer())
    )
    def post(self, request: Request) -> Response:
        data = validated(ContractUpdateEndDateInput, request.data)
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        edit = end_date.contract_update_end_date(
            contract=contract,
            ending_before=data["ending_before"],
            allow_before_finalized=data["allow_ending_before_finalized_invoice"],
            actor=_actor(request),
        )
        trim = edit.wire.get("end_date_trim") if edit is not None else None
        # What the move trimmed (also in the edit history): an extension the SDK keeps.
        return data_response({"id": str(contract.public_id), **({"end_date_trim": trim} if trim else {})})  # fmt: skip


def _actor(request: Request) -> str:
    token = getattr(request, "auth", None)
    return f"api:{getattr(token, 'name', '')}" if token is not None else "api"


class ContractEditApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        body = _body(request)
        ref = validated(ContractRefInput, {k: body.get(k) for k in ("customer_id", "contract_id")})
        contract = api_contract_get(customer_get(ref["customer_id"]), ref["contract_id"])
        edit = edits.contract_edit(contract=contract, data=body, actor=_actor(request))
        return data_response({"id": str(edit.public_id), "edit": edits.edit_to_wire(edit)})


class ContractEditHistoryApi(APIView):
    @extend_schema(request=ContractRefInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(ContractRefInput, request.data)
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        return data_response([edits.edit_to_wire(e) for e in contract.edits.all()])


class ContractSetUsageFilterApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: None})
    def post(self, request: Request) -> Response:
        body = _body(request)
        ref = validated(ContractRefInput, {k: body.get(k) for k in ("customer_id", "contract_id")})
        contract = api_contract_get(customer_get(ref["customer_id"]), ref["contract_id"])
        data = {k: v for k, v in body.items() if k not in ("customer_id", "contract_id")}
        contract_usage_filter_set(contract=contract, data=data)
        return Response(status=200)
