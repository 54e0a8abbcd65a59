from django.contrib import admin

from webhooks.models import Delivery, DeliveryAttempt, OutboundEvent, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "description", "kind", "disabled_at", "created_at")
    exclude = ("secret",)


@admin.register(OutboundEvent)
class OutboundEventAdmin(admin.ModelAdmin):
    list_display = ("type", "key", "created_at")
    search_fields = ("key", "type")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    readonly_fields = ("attempted_at", "response_code", "response_body", "error", "duration_ms")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "endpoint", "status", "attempt_count", "next_attempt_at")
    list_filter = ("status",)
    inlines = [DeliveryAttemptInline]
