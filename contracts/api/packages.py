"""listContractsOnPackage: the contracts created from a package (Metronome's wire format)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import paginated_response
from billing_console.wire import request_reader
from contracts.selectors import contracts_on_package
from pricing.api.common import page_schema
from pricing.selectors import package_get
from pricing.wire_packages import contract_on_package_to_wire


class PackageContractsApi(APIView):
    """listContractsOnPackage."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=page_schema("PackageContractsResponse"))
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        package = package_get(reader.str("package_id", required=True))
        covering_date = reader.datetime("covering_date")
        starting_at = reader.datetime("starting_at")
        if covering_date is not None and starting_at is not None:
            raise reader.fail("starting_at", "cannot be given together with covering_date.")
        qs = contracts_on_package(
            package,
            include_archived=bool(reader.bool("include_archived", default=False)),
            covering_date=covering_date,
            starting_at=starting_at,
        )
        return paginated_response(request, qs, contract_on_package_to_wire)
