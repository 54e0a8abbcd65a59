from django.contrib import admin

from alerts.models import Alert, CustomerAlert, OffsetNotification, SystemNotification


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("name", "alert_type", "threshold", "customer", "created_at", "archived_at")
    list_filter = ("alert_type",)
    search_fields = ("name", "public_id", "uniqueness_key")


@admin.register(CustomerAlert)
class CustomerAlertAdmin(admin.ModelAdmin):
    list_display = ("alert", "customer", "scope", "status", "version", "status_changed_at")
    list_filter = ("status",)
    search_fields = ("customer__name", "alert__name", "scope")


@admin.register(OffsetNotification)
class OffsetNotificationAdmin(admin.ModelAdmin):
    list_display = ("name", "policy_type", "offset", "processed_through", "archived_at")


@admin.register(SystemNotification)
class SystemNotificationAdmin(admin.ModelAdmin):
    list_display = ("type", "is_enabled", "processed_through")
