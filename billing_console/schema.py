"""OpenAPI generation (drf-spectacular) for the Metronome-shaped API."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}
# Every operation may answer with these, each as {"message": "..."} (billing_console/api.py).
ERROR_RESPONSES = {
    "400": "Invalid input; the message names the field at fault.",
    "401": "Missing, unknown or revoked API token.",
    "404": "An id in the path or body names nothing this token can see.",
    "409": "A uniqueness_key already used, or a conflicting state.",
    "413": "The request body is larger than the server accepts.",
}


class ConsoleAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_RESPONSES.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                },
            )
        return responses

    def get_serializer_name(self, serializer: serializers.Serializer, direction: Any) -> str:
        """Nested `XxxApi.InputSerializer` classes are named after their view, not 'Input'."""
        qualname = serializer.__class__.__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)
            return outer.replace(".", "").removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "billing_console.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}


def envelope(name: str, item: Any) -> serializers.Serializer:
    """Schema of {"data": item}."""
    return inline_serializer(name=name, fields={"data": item})


def page_envelope(name: str, item_class: type[serializers.Serializer]) -> serializers.Serializer:
    """Schema of {"data": [item], "next_page": cursor | null}."""
    return inline_serializer(
        name=name,
        fields={
            "data": item_class(many=True),
            "next_page": serializers.CharField(allow_null=True),
        },
    )


class IdSerializer(serializers.Serializer):
    id = serializers.CharField()
