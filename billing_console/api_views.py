"""Platform-level API endpoints: custom fields on any entity."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console import custom_fields
from billing_console.api import paginated_response, param_list, validated
from billing_console.models import CustomFieldKey
from billing_console.schema import page_envelope


def _key_to_wire(key: CustomFieldKey) -> dict:
    return {"entity": key.entity, "key": key.key, "enforce_uniqueness": key.enforce_uniqueness}


class CustomFieldAddKeyApi(APIView):
    class InputSerializer(serializers.Serializer):
        entity = serializers.ChoiceField(choices=custom_fields.ENTITIES)
        key = serializers.CharField(max_length=200)
        enforce_uniqueness = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        custom_fields.custom_field_key_add(**validated(self.InputSerializer, request.data))
        return Response(status=200)


class CustomFieldRemoveKeyApi(APIView):
    class InputSerializer(serializers.Serializer):
        entity = serializers.ChoiceField(choices=custom_fields.ENTITIES)
        key = serializers.CharField(max_length=200)

    @extend_schema(request=InputSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        custom_fields.custom_field_key_remove(**validated(self.InputSerializer, request.data))
        return Response(status=200)


class CustomFieldKeyOutput(serializers.Serializer):
    entity = serializers.ChoiceField(choices=custom_fields.ENTITIES)
    key = serializers.CharField()
    enforce_uniqueness = serializers.BooleanField()


class CustomFieldListKeysApi(APIView):
    class InputSerializer(serializers.Serializer):
        entities = serializers.ListField(
            child=serializers.ChoiceField(choices=custom_fields.ENTITIES), required=False
        )

    @extend_schema(
        request=InputSerializer,
        responses=page_envelope("CustomFieldListKeysResponse", CustomFieldKeyOutput),
    )
    def post(self, request: Request) -> Response:
        entities = param_list(request, "entities")
        invalid = [e for e in entities or [] if e not in custom_fields.ENTITIES]
        if invalid:
            raise serializers.ValidationError({"entities": [f"Unknown entity '{invalid[0]}'."]})
        qs = CustomFieldKey.objects.all()
        if entities:
            qs = qs.filter(entity__in=entities)
        return paginated_response(request, qs, _key_to_wire)


class CustomFieldSetValuesApi(APIView):
    class InputSerializer(serializers.Serializer):
        entity = serializers.ChoiceField(choices=custom_fields.ENTITIES)
        entity_id = serializers.CharField(max_length=64)
        custom_fields = serializers.DictField(child=serializers.CharField(max_length=2000))

    @extend_schema(request=InputSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        custom_fields.custom_field_values_set(
            entity=data["entity"], entity_id=data["entity_id"], values=data["custom_fields"]
        )
        return Response(status=200)


class CustomFieldDeleteValuesApi(APIView):
    class InputSerializer(serializers.Serializer):
        entity = serializers.ChoiceField(choices=custom_fields.ENTITIES)
        entity_id = serializers.CharField(max_length=64)
        keys = serializers.ListField(child=serializers.CharField(max_length=200))

    @extend_schema(request=InputSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        custom_fields.custom_field_values_delete(
            entity=data["entity"], entity_id=data["entity_id"], keys=data["keys"]
        )
        return Response(status=200)
