from django.db.models import Prefetch, QuerySet

from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("disabled_at", "created_at")


def delivery_log(*, endpoint: WebhookEndpoint, status: str | None = None) -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first, each with its attempts in order."""
    qs = endpoint.deliveries.select_related("event").prefetch_related(
        Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("attempted_at", "pk"))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")
