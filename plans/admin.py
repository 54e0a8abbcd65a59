"""Plans, customer plans and credit grants in the admin: to look at, not to change. Each is
made and changed through its service (plans.services.plan_create via `manage.py create_plan`;
the API for customer plans and credit grants), which validates it and keeps the contract,
rate card or commit underneath in step; a row edited here would bill differently from what
it says."""

from django.contrib import admin

from plans.models import CreditGrant, CustomerPlan, Plan, PlanCharge


class ViewOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ViewOnly(ViewOnlyMixin, admin.ModelAdmin):
    pass


class PlanChargeInline(ViewOnlyMixin, admin.TabularInline):
    model = PlanCharge
    extra = 0


@admin.register(Plan)
class PlanAdmin(ViewOnly):
    list_display = ("name", "credit_type", "trial_length_days", "trial_spending_cap")
    inlines = [PlanChargeInline]


@admin.register(CustomerPlan)
class CustomerPlanAdmin(ViewOnly):
    list_display = ("customer", "plan", "starting_on", "ending_before")


@admin.register(CreditGrant)
class CreditGrantAdmin(ViewOnly):
    list_display = ("name", "customer", "grant_amount", "paid_amount", "expires_at", "voided_at")
