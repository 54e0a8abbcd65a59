"""GET /v1/auditLogs, Metronome's wire format (see shared/metronome-api.md)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import ApplicationError, page_limit, param
from billing_console.schema import page_envelope
from reports import audit_log

QUERY_PARAMETERS = (
    "resource_type", "resource_id", "starting_on", "ending_before", "sort", "next_page", "limit",
)  # fmt: skip


class AuditActorOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField(allow_null=True)


class AuditRequestOutput(serializers.Serializer):
    id = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField(allow_null=True)


class AuditLogOutput(serializers.Serializer):
    id = serializers.CharField()
    timestamp = serializers.DateTimeField()
    actor = AuditActorOutput(allow_null=True)
    action = serializers.CharField()
    description = serializers.CharField()
    request = AuditRequestOutput()
    resource_type = serializers.CharField()
    resource_id = serializers.CharField()
    status = serializers.CharField()
    changes = serializers.DictField(child=serializers.ListField())
    via = serializers.CharField(allow_null=True)


class AuditLogListApi(APIView):
    @extend_schema(
        operation_id="audit_logs_list",
        parameters=[OpenApiParameter(name, OpenApiTypes.STR) for name in QUERY_PARAMETERS],
        responses=page_envelope("AuditLogListResponse", AuditLogOutput),
    )
    def get(self, request: Request) -> Response:
        """Entries oldest first (sort=date_asc, the default) or newest first (date_desc).

        `next_page` is null on the last page: the SDK's iterator pages until it is, so a
        cursor handed out at the end of the log would make it poll forever. To follow the
        log, ask again with starting_on at the last entry's timestamp."""
        filters = audit_log.audit_filters_read(request.query_params)
        sort = param(request, "sort") or "date_asc"
        if sort not in audit_log.SORTS:
            raise ApplicationError(f"sort: must be one of {', '.join(audit_log.SORTS)}.")
        descending = sort == "date_desc"
        limit = page_limit(request)
        qs = audit_log.audit_entries(filters)
        cursor = param(request, "next_page")
        if cursor:
            qs = audit_log.cursor_after(qs, str(cursor), descending)
        order = ("-timestamp", "-pk") if descending else ("timestamp", "pk")
        rows = list(qs.order_by(*order)[: limit + 1])
        more, rows = len(rows) > limit, rows[:limit]
        next_page = audit_log.cursor_encode(rows[-1]) if more else None
        return Response({"data": audit_log.entries_to_wire(rows), "next_page": next_page})
