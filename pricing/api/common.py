"""What the pricing endpoints share: response schemas, a reference in a body that names nothing
(400, not 404), the {"data": {"id": ...}} answer, the archive filter, who created a row."""

from collections.abc import Callable
from typing import Any

from rest_framework import serializers
from rest_framework.response import Response

from billing_console.api import ApplicationError, data_response
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import Reader
from pricing.wire import created_by_map

ARCHIVE_FILTERS = ("ARCHIVED", "NOT_ARCHIVED", "ALL")

ID_RESPONSE = envelope("PricingIdResponse", IdSerializer())
OBJECT_RESPONSE = envelope("PricingObjectResponse", serializers.DictField())


def page_schema(name: str) -> Any:
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(
        name=name,
        fields={
            "data": serializers.ListField(child=serializers.DictField()),
            "next_page": serializers.CharField(allow_null=True),
        },
    )


def bad_input(lookup: Callable[[], Any]) -> Any:
    """A reference inside a body that names nothing is invalid input (400), not a missing
    resource (404): the 404 is kept for the object the path or id field is about."""
    try:
        return lookup()
    except ApplicationError as err:
        if err.code == "not_found":
            raise ApplicationError(err.message) from None
        raise


def id_response(value: Any) -> Response:
    return data_response({"id": str(value.public_id)})


def archive_filter(reader: Reader) -> str:
    return reader.choice("archive_filter", ARCHIVE_FILTERS, default="NOT_ARCHIVED")


def created_by_of(model: type, row: Any) -> str:
    return created_by_map(model, [row.pk]).get(row.pk, "")
