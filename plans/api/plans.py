"""Plan endpoints (Metronome 1.0): plans and their charges and customers, a customer's plans,
adding and ending one, its price adjustments."""

from datetime import UTC

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
    param,
    sequence_response,
    validated,
)
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import request_object
from customers.selectors import customer_get
from plans import customer_plans, invoice_charges, plan_wire
from plans.models import CustomerPlan, Plan


class PlanListApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        plans = Plan.objects.filter(archived_at__isnull=True)
        return paginated_response(request, plans, plan_wire.plan_to_wire)


class PlanDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: str) -> Response:
        plan = customer_plans.plan_get(plan_id)
        return data_response(plan_wire.plan_detail_to_wire(plan))


class PlanChargesApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: str) -> Response:
        plan = customer_plans.plan_get(plan_id)
        charges = plan.charges.select_related("product", "credit_type")
        return paginated_response(request, charges, plan_wire.charge_to_wire)


class PlanCustomersApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: str) -> Response:
        plan = customer_plans.plan_get(plan_id)
        rows = CustomerPlan.objects.filter(plan=plan).select_related("customer", "plan")
        try:
            rows = plan_wire.status_filter(rows, param(request, "status", ""), timezone.now())
        except ValueError as error:
            raise ApplicationError(str(error)) from None
        return paginated_response(request, rows, plan_wire.plan_customer_to_wire)


class CustomerPlanListApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)
        rows = CustomerPlan.objects.filter(customer=customer).select_related(
            "plan__credit_type", "trial_credit"
        )
        now = timezone.now()
        return paginated_response(
            request, rows, lambda row: plan_wire.customer_plan_to_wire(row, now=now)
        )


class CustomerPlanAddApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("PlanAdd", IdSerializer()))
    def post(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)
        body = {k: v for k, v in request_object(request).items() if k != "customer_id"}
        row = customer_plans.customer_plan_add(customer=customer, data=body)
        return data_response({"id": str(row.public_id)})


class AddChargeApi(APIView):
    """addCharge: a one-time charge on a plan customer's draft usage invoice. The SDK's
    response type has no fields: an empty object."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, customer_id: str) -> Response:
        customer = customer_get(customer_id)
        body = {k: v for k, v in request_object(request).items() if k != "customer_id"}
        invoice_charges.invoice_charge_add(customer=customer, data=body)
        return Response({})


class EndInput(serializers.Serializer):
    ending_before = MomentField(required=False, allow_null=True)
    void_invoices = serializers.BooleanField(required=False, default=False)
    void_stripe_invoices = serializers.BooleanField(required=False, default=False)


class CustomerPlanEndApi(APIView):
    @extend_schema(request=EndInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, customer_id: str, customer_plan_id: str) -> Response:
        data = validated(EndInput, request.data)
        row = customer_plans.customer_plan_get(customer_get(customer_id), customer_plan_id)
        end = data.get("ending_before")
        if end is not None and end.astimezone(UTC).time().isoformat() != "00:00:00":
            raise ApplicationError("ending_before: must be at 0:00 UTC (midnight).")
        customer_plans.customer_plan_end(
            customer_plan=row, ending_before=end, void_invoices=data["void_invoices"],
            void_stripe_invoices=data["void_stripe_invoices"],
        )  # fmt: skip
        return Response({})


class PriceAdjustmentsApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, customer_id: str, customer_plan_id: str) -> Response:
        row = customer_plans.customer_plan_get(customer_get(customer_id), customer_plan_id)
        items = plan_wire.price_adjustments_to_wire(row)
        return sequence_response(request, items, lambda item: item)
