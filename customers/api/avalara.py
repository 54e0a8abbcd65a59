"""/v1/upsertAvalaraCredentials (the SDK's settings.upsert_avalara_credentials)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.wire import request_object
from customers.avalara import avalara_credentials_upsert
from customers.models import AvalaraEnvironment


class AvalaraCredentialsUpsertApi(APIView):
    class InputSerializer(serializers.Serializer):  # the schema; customers.avalara validates
        avalara_environment = serializers.ChoiceField(choices=AvalaraEnvironment.values)
        avalara_username = serializers.CharField()
        avalara_password = serializers.CharField(write_only=True)
        delivery_method_ids = serializers.ListField(child=serializers.UUIDField())
        commit_transactions = serializers.BooleanField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: serializers.DictField()},
        operation_id="settings_upsert_avalara_credentials",
    )
    def post(self, request: Request) -> Response:
        avalara_credentials_upsert(data=request_object(request))
        return Response({})  # SettingUpsertAvalaraCredentialsResponse: no fields
