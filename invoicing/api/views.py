"""Invoice endpoints (Metronome wire format)."""

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    ApplicationError,
    data_response,
    paginated_response,
    param,
    param_bool,
    sequence_response,
    validated,
)
from billing_console.lib.periods import OUTSIDE_WINDOW, within_window
from billing_console.schema import IdSerializer, envelope
from customers.selectors import customer_get
from invoicing import selectors, services
from invoicing.breakdowns import Breakdown, customer_costs, invoice_breakdowns
from invoicing.models import Invoice
from invoicing.pdf import render_invoice_pdf
from invoicing.preview import preview_events
from invoicing.wire import invoice_to_wire, iso, number

STATUSES = ("DRAFT", "FINALIZED", "VOID")
TYPES = ("USAGE", "USAGE_CONSOLIDATED", "SCHEDULED")


def _time_param(request: Request, name: str):
    raw = param(request, name)
    if raw in (None, ""):
        return None
    try:
        parsed = parse_datetime(str(raw))
    except ValueError:  # well-formed but no such day: 2026-02-30
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise serializers.ValidationError(
            {name: ["Must be an RFC 3339 timestamp with a time zone."]}
        )
    if not within_window(parsed):
        raise ApplicationError(f"{name}: {OUTSIDE_WINDOW}")
    return parsed


def _choice_param(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = param(request, name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise serializers.ValidationError({name: [f"Must be one of {', '.join(choices)}."]})
    return str(raw)


def _wire(invoice: Invoice, skip_zero: bool) -> dict[str, Any]:
    data = invoice_to_wire(invoice)
    if skip_zero:
        data["line_items"] = [li for li in data["line_items"] if li.get("quantity", 1) != 0]
    return data


class InvoiceListApi(APIView):
    @extend_schema(operation_id="customer_invoices_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)  # drafts as stored: the refreshes keep them current
        sort = _choice_param(request, "sort", ("date_asc", "date_desc"))
        invoice_type = _choice_param(request, "type", TYPES)
        qs = selectors.invoice_list(
            customer=customer,
            contract_id=param(request, "contract_id"),
            status=_choice_param(request, "status", STATUSES),
            starting_on=_time_param(request, "starting_on"),
            ending_before=_time_param(request, "ending_before"),
            credit_type_id=param(request, "credit_type_id"),
        )
        if invoice_type:
            qs = qs.filter(type=invoice_type)
        skip_zero = param_bool(request, "skip_zero_qty_line_items")
        return paginated_response(
            request,
            qs,
            lambda i: _wire(i, skip_zero),
            order_field="period_start",
            descending=sort == "date_desc",
        )


class InvoiceDetailApi(APIView):
    @extend_schema(operation_id="customer_invoices_retrieve", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, customer_id: str, invoice_id: str) -> Response:
        customer = customer_get(customer_id)
        invoice = selectors.invoice_get(customer=customer, invoice_id=invoice_id)  # as stored
        return data_response(_wire(invoice, param_bool(request, "skip_zero_qty_line_items")))


def _invoice_by_id(invoice_id: str) -> Invoice:
    invoice = Invoice.objects.filter(public_id=invoice_id).first()
    if invoice is None:
        raise ApplicationError(f"id: no invoice with id {invoice_id}.", "not_found")
    return invoice


class InvoiceVoidApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer, responses=envelope("InvoiceVoidResponse", IdSerializer())
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        invoice = services.invoice_void(invoice=_invoice_by_id(str(data["id"])))
        return data_response({"id": str(invoice.public_id)})


class InvoiceRegenerateApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer, responses=envelope("InvoiceRegenerateResponse", IdSerializer())
    )
    @transaction.atomic
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        new = services.invoice_regenerate(invoice=_invoice_by_id(str(data["id"])))
        return data_response({"id": str(new.public_id)})


class _JsonOnlyNegotiation(BaseContentNegotiation):
    """The SDK asks for application/pdf; errors still answer in JSON."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0]

    def select_renderer(
        self, request: Request, renderers: list, format_suffix: str | None = None
    ) -> tuple:
        return renderers[0], renderers[0].media_type


class InvoicePdfApi(APIView):
    content_negotiation_class = _JsonOnlyNegotiation

    @extend_schema(
        operation_id="customer_invoices_retrieve_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, customer_id: str, invoice_id: str) -> HttpResponse:
        invoice = selectors.invoice_get(customer=customer_get(customer_id), invoice_id=invoice_id)
        response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{invoice.number or invoice.public_id}.pdf"'
        )
        return response


def _required_time(request: Request, name: str):
    value = _time_param(request, name)
    if value is None:
        raise serializers.ValidationError({name: ["This field is required."]})
    return value


class InvoiceBreakdownsApi(APIView):
    @extend_schema(operation_id="customer_invoices_breakdowns", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)  # drafts as stored: the refreshes keep them current
        status = _choice_param(request, "status", STATUSES)
        items = invoice_breakdowns(
            customer=customer,
            starting_on=_required_time(request, "starting_on"),
            ending_before=_required_time(request, "ending_before"),
            window_size=_choice_param(request, "window_size", ("HOUR", "DAY")) or "DAY",
            credit_type_id=param(request, "credit_type_id"),
            statuses=[status] if status else None,
        )
        if _choice_param(request, "sort", ("date_asc", "date_desc")) == "date_desc":
            items.reverse()
        skip_zero = param_bool(request, "skip_zero_qty_line_items")

        def wire(item: Breakdown) -> dict[str, Any]:
            data = invoice_to_wire(item.invoice, item)
            data["breakdown_start_timestamp"] = iso(item.window.start)
            data["breakdown_end_timestamp"] = iso(item.window.end)
            if skip_zero:
                data["line_items"] = [li for li in data["line_items"] if li.get("quantity", 1) != 0]
            return data

        return sequence_response(request, items, wire)


class CustomerCostsApi(APIView):
    @extend_schema(operation_id="customers_costs_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)  # drafts as stored: the refreshes keep them current
        days = customer_costs(
            customer=customer,
            starting_on=_required_time(request, "starting_on"),
            ending_before=_required_time(request, "ending_before"),
        )

        def wire(day: dict[str, Any]) -> dict[str, Any]:
            return {
                "start_timestamp": iso(day["window"].start),
                "end_timestamp": iso(day["window"].end),
                "credit_types": {
                    credit_type_id: {
                        "name": entry["name"],
                        "cost": number(entry["cost"]),
                        "line_item_breakdown": [
                            {**item, "cost": number(item["cost"])}
                            for item in entry["line_item_breakdown"]
                        ],
                    }
                    for credit_type_id, entry in day["credit_types"].items()
                },
            }

        return sequence_response(request, days, wire)


class PreviewEventsApi(APIView):
    class InputSerializer(serializers.Serializer):
        events = serializers.ListField(child=serializers.DictField(), allow_empty=True)
        mode = serializers.ChoiceField(
            choices=("replace", "merge"), required=False, default="replace"
        )
        skip_zero_qty_line_items = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        request=InputSerializer,
        operation_id="customers_preview_events",
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)
        data = validated(self.InputSerializer, request.data)
        previews = preview_events(customer=customer, events=data["events"], mode=data["mode"])
        out = []
        for preview in previews:
            wire = invoice_to_wire(preview.invoice, preview)
            if data["skip_zero_qty_line_items"]:
                wire["line_items"] = [li for li in wire["line_items"] if li.get("quantity", 1) != 0]
            out.append(wire)
        return Response({"data": out})
