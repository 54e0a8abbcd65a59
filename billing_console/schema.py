"""OpenAPI generation (drf-spectacular) for the Metronome-shaped API."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


class ConsoleAutoSchema(AutoSchema):
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
