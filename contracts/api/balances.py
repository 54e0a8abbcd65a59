"""Commit and credit endpoints (Metronome wire format): customer-level commits and credits,
editing one commit or credit, manual ledger entries, balances and the net balance."""

from decimal import Decimal
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
    get_by_public_id,
    paginated_response,
    validated,
)
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import request_object
from contracts import edits
from contracts.models import Commit, CommitKind
from contracts.terms import balances, commit_edits, customer_commits, ledger, seat_ledger
from contracts.wire.write import commit_to_wire
from customers.selectors import customer_get

COMMIT_KINDS = (CommitKind.PREPAID, CommitKind.POSTPAID)


_body = request_object


def _customer(body: dict[str, Any]) -> Any:
    if not body.get("customer_id"):
        raise ApplicationError("customer_id: is required.")
    return customer_get(str(body["customer_id"]))


def _commit(customer: Any, public_id: Any, field: str, *, credit: bool) -> Commit:
    qs = Commit.objects.filter(customer=customer)
    qs = qs.filter(kind=CommitKind.CREDIT) if credit else qs.filter(kind__in=COMMIT_KINDS)
    if not public_id:
        raise ApplicationError(f"{field}: is required.")
    what = "credit" if credit else "commit"
    return get_by_public_id(
        qs.select_related("contract"), public_id, f"{what} for this customer", field
    )


# --- customer-level commits and credits --------------------------------------------------------


class CustomerCommitCreateApi(APIView):
    credit = False

    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("CommitCreate", IdSerializer()))
    def post(self, request: Request) -> Response:
        body = _body(request)
        customer = _customer(body)
        data = {k: v for k, v in body.items() if k != "customer_id"}
        commit = customer_commits.customer_commit_create(
            customer=customer, data=data, credit=self.credit
        )
        return data_response({"id": str(commit.public_id)})


class CustomerCreditCreateApi(CustomerCommitCreateApi):
    credit = True


class BalanceListInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    id = serializers.CharField(max_length=64, required=False)
    access_type = serializers.ChoiceField(choices=["SPEND", "QUANTITY"], required=False)
    covering_date = MomentField(required=False)
    effective_before = MomentField(required=False)
    starting_at = MomentField(required=False)
    exclude_zero_balances = serializers.BooleanField(required=False, default=False)
    include_archived = serializers.BooleanField(required=False, default=False)
    include_balance = serializers.BooleanField(required=False, default=False)
    include_ledgers = serializers.BooleanField(required=False, default=False)
    include_contract_balances = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    next_page = serializers.CharField(required=False, allow_null=True)


class CommitListInput(BalanceListInput):
    commit_id = serializers.CharField(max_length=64, required=False)
    include_contract_commits = serializers.BooleanField(required=False, default=False)


class CreditListInput(BalanceListInput):
    credit_id = serializers.CharField(max_length=64, required=False)
    include_contract_credits = serializers.BooleanField(required=False, default=False)


def _balances_response(
    request: Request, data: dict[str, Any], kinds: tuple[str, ...], *, public_id: str | None,
    include_contracts: bool,
) -> Response:  # fmt: skip
    customer = customer_get(data["customer_id"])
    if data.get("access_type") == "QUANTITY":
        return Response({"data": [], "next_page": None})  # no quantity-based balances here
    import uuid

    if public_id:
        try:
            public_id = str(uuid.UUID(public_id))
        except ValueError:
            return Response({"data": [], "next_page": None})
    filters = balances.BalanceFilters(
        kinds=kinds,
        public_id=public_id,
        covering_date=data.get("covering_date"),
        starting_at=data.get("starting_at"),
        effective_before=data.get("effective_before"),
        include_archived=data["include_archived"],
        include_contract_balances=include_contracts,
    )
    qs = balances.balances_list(customer=customer, filters=filters)
    now = timezone.now()
    if data.get("exclude_zero_balances"):
        keep = [c.pk for c in qs if ledger.commit_available_balance(c, at=now) > 0]
        qs = qs.filter(pk__in=keep)

    def wire(commit: Commit) -> dict[str, Any]:
        return commit_to_wire(
            commit,
            include_balance=data["include_balance"],
            include_ledgers=data["include_ledgers"],
            at=now,
        )

    return paginated_response(request, qs, wire, default_limit=25)


class BalanceListApi(APIView):
    @extend_schema(request=BalanceListInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(BalanceListInput, request.data)
        return _balances_response(
            request, data, tuple(CommitKind.values), public_id=data.get("id"),
            include_contracts=data["include_contract_balances"],
        )  # fmt: skip


class CustomerCommitListApi(APIView):
    @extend_schema(request=CommitListInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(CommitListInput, request.data)
        return _balances_response(
            request, data, COMMIT_KINDS, public_id=data.get("commit_id"),
            include_contracts=data["include_contract_commits"],
        )  # fmt: skip


class CustomerCreditListApi(APIView):
    @extend_schema(request=CreditListInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(CreditListInput, request.data)
        return _balances_response(
            request, data, (CommitKind.CREDIT,), public_id=data.get("credit_id"),
            include_contracts=data["include_contract_credits"],
        )  # fmt: skip


class CommitEndDateInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    commit_id = serializers.CharField(max_length=64)
    access_ending_before = MomentField(required=False)
    invoices_ending_before = MomentField(required=False)


class CreditEndDateInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    credit_id = serializers.CharField(max_length=64)
    access_ending_before = MomentField()


class CustomerCommitEndDateApi(APIView):
    @extend_schema(request=CommitEndDateInput, responses=envelope("CommitEndDate", IdSerializer()))
    def post(self, request: Request) -> Response:
        data = validated(CommitEndDateInput, request.data)
        commit = _commit(
            customer_get(data["customer_id"]), data["commit_id"], "commit_id", credit=False
        )
        commit_edits.commit_update_end_date(
            commit=commit,
            access_ending_before=data.get("access_ending_before"),
            invoices_ending_before=data.get("invoices_ending_before"),
        )
        return data_response({"id": str(commit.public_id)})


class CustomerCreditEndDateApi(APIView):
    @extend_schema(request=CreditEndDateInput, responses=envelope("CreditEndDate", IdSerializer()))
    def post(self, request: Request) -> Response:
        data = validated(CreditEndDateInput, request.data)
        commit = _commit(
            customer_get(data["customer_id"]), data["credit_id"], "credit_id", credit=True
        )
        commit_edits.commit_update_end_date(
            commit=commit, access_ending_before=data["access_ending_before"]
        )
        return data_response({"id": str(commit.public_id)})


# --- editing one commit or credit -------------------------------------------------------------


class CommitEditApi(APIView):
    credit = False

    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("CommitEdit", IdSerializer()))
    def post(self, request: Request) -> Response:
        body = _body(request)
        id_key = "credit_id" if self.credit else "commit_id"
        commit = _commit(_customer(body), body.get(id_key), id_key, credit=self.credit)
        data = {k: v for k, v in body.items() if k not in ("customer_id", id_key)}
        edits.commit_edit_recorded(commit=commit, data=data, credit=self.credit)
        return data_response({"id": str(commit.public_id)})


class CreditEditApi(CommitEditApi):
    credit = True


# --- ledgers and balances ---------------------------------------------------------------------


class ManualEntryInput(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    customer_id = serializers.CharField(max_length=64)
    segment_id = serializers.CharField(max_length=64)
    amount = serializers.DecimalField(max_digits=28, decimal_places=12, coerce_to_string=False)
    reason = serializers.CharField(max_length=2000)
    contract_id = serializers.CharField(max_length=64, required=False)
    timestamp = MomentField(required=False)
    uniqueness_key = serializers.CharField(max_length=128, required=False)
    # Seat (a value of the seat group key) -> amount, for INDIVIDUAL seat allocations.
    per_group_amounts = serializers.DictField(
        child=serializers.DecimalField(max_digits=28, decimal_places=12, coerce_to_string=False),
        required=False,
        allow_empty=False,
    )


class ManualEntryApi(APIView):
    @extend_schema(request=ManualEntryInput, responses=None)
    def post(self, request: Request) -> Response:
        data = validated(ManualEntryInput, request.data)
        customer = customer_get(data["customer_id"])
        qs = Commit.objects.filter(customer=customer)
        if data.get("contract_id"):
            qs = qs.filter(contract__public_id=_uuid_or_404(data["contract_id"], "contract_id"))
        else:
            qs = qs.filter(contract__isnull=True)
        commit = get_by_public_id(qs, data["id"], "commit or credit for this customer")
        segment = get_by_public_id(
            commit.segments.all(), data["segment_id"], "segment of this balance", "segment_id"
        )
        entry = {
            "commit": commit,
            "segment": segment,
            "amount": Decimal(str(data["amount"])),
            "reason": data["reason"],
            "timestamp": data.get("timestamp"),
            "uniqueness_key": data.get("uniqueness_key"),
        }
        if "per_group_amounts" in data:
            amounts = {seat: Decimal(str(a)) for seat, a in data["per_group_amounts"].items()}
            seat_ledger.ledger_manual_add_per_group(**entry, per_group_amounts=amounts)
        else:
            ledger.ledger_manual_add(**entry)
        return Response(status=200)


def _uuid_or_404(value: str, field: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApplicationError(f"{field}: no such id '{value}'.", "not_found") from None


class BalanceFilterInput(serializers.Serializer):
    balance_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(balances.BALANCE_TYPES)), required=False
    )
    custom_fields = serializers.DictField(child=serializers.CharField(), required=False)
    ids = serializers.ListField(child=serializers.CharField(max_length=64), required=False)


class NetBalanceInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    access_type = serializers.ChoiceField(
        choices=["SPEND", "QUANTITY"], required=False, default="SPEND"
    )
    credit_type_id = serializers.CharField(max_length=64, required=False)
    filters = BalanceFilterInput(many=True, required=False)
    invoice_inclusion_mode = serializers.ChoiceField(
        choices=["FINALIZED", "FINALIZED_AND_DRAFT"], required=False, default="FINALIZED_AND_DRAFT"
    )


NULL_CREDIT_TYPE = "00000000-0000-0000-0000-000000000000"


class NetBalanceApi(APIView):
    @extend_schema(request=NetBalanceInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        from pricing.services import credit_type_get_default

        data = validated(NetBalanceInput, request.data)
        customer = customer_get(data["customer_id"])
        if data["access_type"] == "QUANTITY":
            if data.get("credit_type_id"):
                raise ApplicationError(
                    "credit_type_id: must not be given with access_type QUANTITY."
                )
            return data_response({"balance": 0, "credit_type_id": NULL_CREDIT_TYPE})
        credit_type_id = (
            _uuid_or_404(data["credit_type_id"], "credit_type_id")
            if data.get("credit_type_id")
            else str(credit_type_get_default().public_id)
        )
        total = balances.net_balance(
            customer=customer,
            at=timezone.now(),
            credit_type_id=credit_type_id,
            balance_filters=data.get("filters"),
            finalized_only=data["invoice_inclusion_mode"] == "FINALIZED",
        )
        from contracts.wire.write import number

        return data_response({"balance": number(total), "credit_type_id": credit_type_id})
