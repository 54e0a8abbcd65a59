"""POST /stripe/webhooks/<provider id>: one endpoint per configured Stripe account, since
each account signs its events with its own secret."""

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing_console.api import ERROR_STATUS, ApplicationError
from customers.models import BillingProvider, ConfiguredBillingProvider
from invoicing.providers.stripe_webhooks import stripe_event_receive


@csrf_exempt  # authenticated by Stripe's signature, not a session
@require_POST
def stripe_webhook(request: HttpRequest, provider_id: str) -> JsonResponse:
    # Archived accounts still receive events: payments may arrive after archiving.
    provider = ConfiguredBillingProvider.objects.filter(
        public_id=provider_id, billing_provider=BillingProvider.STRIPE
    ).first()
    if provider is None:
        return JsonResponse({"message": "provider_id: no such Stripe account."}, status=404)
    try:
        with transaction.atomic():
            event, created = stripe_event_receive(
                provider=provider,
                payload=request.body,
                signature=request.headers.get("Stripe-Signature"),
            )
            if created:
                from invoicing.providers.tasks import stripe_event_process_task

                stripe_event_process_task.delay_on_commit(event.pk)
    except ApplicationError as err:
        return JsonResponse({"message": err.message}, status=ERROR_STATUS.get(err.code, 400))
    return JsonResponse({"received": True, "duplicate": not created})
