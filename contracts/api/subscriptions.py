"""Subscription endpoints: quantity history, seats history, seat balances (Metronome wire)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import ApplicationError, MomentField, data_response, validated
from contracts.api.views import api_contract_get
from contracts.models import Commit, CommitKind, Contract, Subscription
from contracts.terms.balances import contract_credit_type_id
from contracts.terms.ledger import commit_available_balance
from contracts.terms.subscription_read import quantity_history, seats_history
from contracts.wire.write import iso, ledger_entry_to_wire, number
from customers.selectors import customer_get


class SubscriptionRefInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64)
    subscription_id = serializers.CharField(max_length=64)


def _subscription(contract: Contract, subscription_id: str) -> Subscription:
    import uuid

    try:
        uuid.UUID(subscription_id)
    except ValueError:
        raise ApplicationError(
            f"subscription_id: no subscription with id {subscription_id}.", "not_found"
        ) from None
    sub = (
        Subscription.objects.filter(contract=contract, public_id=subscription_id)
        .select_related("contract", "product")
        .first()
    )
    if sub is None:
        raise ApplicationError(
            f"subscription_id: no subscription with id {subscription_id} on this contract.",
            "not_found",
        )
    return sub


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit():
        raise ApplicationError("cursor: is not a cursor this server issued.")
    return int(cursor)


class QuantityHistoryApi(APIView):
    @extend_schema(request=SubscriptionRefInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(SubscriptionRefInput, request.data)
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        sub = _subscription(contract, data["subscription_id"])
        return data_response(
            {
                "subscription_id": str(sub.public_id),
                "fiat_credit_type_id": contract_credit_type_id(contract),
                "history": quantity_history(sub, now=timezone.now()),
            }
        )


class SeatsHistoryInput(SubscriptionRefInput):
    covering_date = MomentField(required=False, allow_null=True)
    starting_at = MomentField(required=False, allow_null=True)
    ending_before = MomentField(required=False, allow_null=True)
    cursor = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10)


class SeatsHistoryApi(APIView):
    @extend_schema(request=SeatsHistoryInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(SeatsHistoryInput, request.data)
        if data.get("covering_date") and (data.get("starting_at") or data.get("ending_before")):
            raise ApplicationError(
                "covering_date: cannot be used with starting_at or ending_before."
            )
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        sub = _subscription(contract, data["subscription_id"])
        rows = seats_history(
            sub,
            starting_at=data.get("starting_at"),
            ending_before=data.get("ending_before"),
            covering_date=data.get("covering_date"),
        )
        start, limit = _offset(data.get("cursor")), data.get("limit") or 10
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return Response({"data": page, "next_page": str(start + limit) if more else None})


class SeatBalancesInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64)
    covering_date = MomentField(required=False, allow_null=True)
    starting_at = MomentField(required=False, allow_null=True)
    effective_before = MomentField(required=False, allow_null=True)
    include_credits_and_commits = serializers.BooleanField(required=False, default=False)
    include_ledgers = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    seat_ids = serializers.ListField(child=serializers.CharField(), required=False)
    skip_missing_seat_ids = serializers.BooleanField(required=False, default=False)
    subscription_ids = serializers.ListField(child=serializers.CharField(), required=False)


def _in_window(commit: Commit, data: dict[str, Any]) -> bool:
    segments = list(commit.segments.all())
    at: datetime | None = data.get("covering_date")
    if at is not None:
        return any(s.starting_at <= at < s.ending_before for s in segments)
    if data.get("starting_at") and all(s.ending_before <= data["starting_at"] for s in segments):
        return False
    before = data.get("effective_before")
    return not (before and all(s.starting_at >= before for s in segments))


def _seat_commit(commit: Commit, at: datetime, credit_type_id: str, ledgers: bool) -> dict:
    segments = list(commit.segments.all())
    item: dict[str, Any] = {
        "id": str(commit.public_id),
        "balance": number(commit_available_balance(commit, at=at)),
        "start_date": iso(min(s.starting_at for s in segments)) if segments else None,
        "end_date": iso(max(s.ending_before for s in segments)) if segments else None,
        "credit_type_id": credit_type_id,
        "access_type": "SPEND",
    }
    if ledgers:
        item["ledger_entries"] = [
            {
                k: v
                for k, v in ledger_entry_to_wire(e, commit.kind).items()
                if k in ("amount", "timestamp", "type")
            }
            for e in commit.ledger.select_related("segment", "commit__contract")
        ]
    return item


class SeatBalancesApi(APIView):
    """Per-seat balances of the commits and credits issued per seat (INDIVIDUAL allocation)."""

    @extend_schema(request=SeatBalancesInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = validated(SeatBalancesInput, request.data)
        if data.get("covering_date") and (data.get("starting_at") or data.get("effective_before")):
            raise ApplicationError(
                "covering_date: cannot be used with starting_at or effective_before."
            )
        contract = api_contract_get(customer_get(data["customer_id"]), data["contract_id"])
        at = data.get("covering_date") or timezone.now()
        credit_type_id = contract_credit_type_id(contract)
        commits = (
            Commit.objects.filter(contract=contract, archived_at__isnull=True)
            .exclude(seat_id="")
            .select_related("recurring_commit", "contract")
            .prefetch_related("segments")
            .order_by("seat_id", "pk")
        )
        wanted_subs = set(data.get("subscription_ids") or [])
        by_seat: dict[str, list[Commit]] = {}
        for commit in commits:
            config = (
                commit.recurring_commit.subscription_config or {} if commit.recurring_commit else {}
            )
            if wanted_subs and config.get("subscription_id") not in wanted_subs:
                continue
            if _in_window(commit, data):
                by_seat.setdefault(commit.seat_id, []).append(commit)
        seat_ids = list(data.get("seat_ids") or sorted(by_seat))
        missing = [s for s in seat_ids if s not in by_seat]
        if missing and data.get("seat_ids") and not data["skip_missing_seat_ids"]:
            raise ApplicationError(f"seat_ids: no balances for seat {missing[0]} on this contract.")
        seat_ids = [s for s in seat_ids if s in by_seat]
        start, limit = _offset(data.get("cursor")), data.get("limit") or 25
        page = seat_ids[start : start + limit]
        rows = []
        for seat in page:
            items = [
                _seat_commit(c, at, credit_type_id, data["include_ledgers"]) for c in by_seat[seat]
            ]
            starting = sum((s.amount for c in by_seat[seat] for s in c.segments.all()), Decimal(0))
            row: dict[str, Any] = {
                "seat_id": seat,
                "balances": [{
                    "balance": number(sum((Decimal(str(i["balance"])) for i in items), Decimal(0))),
                    "credit_type_id": credit_type_id, "starting_balance": number(starting),
                    "access_type": "SPEND",
                }],
            }  # fmt: skip
            if data["include_credits_and_commits"]:
                kinds = [c.kind for c in by_seat[seat]]
                row["commits"] = [
                    i for i, k in zip(items, kinds, strict=True) if k != CommitKind.CREDIT
                ]
                row["credits"] = [
                    i for i, k in zip(items, kinds, strict=True) if k == CommitKind.CREDIT
                ]
            rows.append(row)
        more = start + limit < len(seat_ids)
        return Response({
            "data": rows,
            "pagination": {
                "next_page": str(start + limit) if more else None,
                "seats_included": len(rows),
                "seats_available_for_next_page": max(0, len(seat_ids) - start - limit),
            },
        })  # fmt: skip
