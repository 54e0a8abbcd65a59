"""Console: an invoice's hourly marketplace records (a fragment the invoice page loads), and
Settings → Marketplace metering (each listing's metering settings, failed records, retry)."""

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing_console.encryption import encrypt_secret
from billing_console.roles import ADMIN, FINANCE, can_bill, role_required
from customers.models import BillingProvider, ConfiguredBillingProvider
from invoicing.marketplaces.models import (
    MarketplaceListingSettings,
    MarketplaceMeteringCursor,
    MarketplaceMeterRecord,
    MeterStatus,
)
from invoicing.marketplaces.sending import meter_record_retry
from invoicing.models import Invoice

MARKETPLACES = (
    BillingProvider.AWS_MARKETPLACE,
    BillingProvider.AZURE_MARKETPLACE,
    BillingProvider.GCP_MARKETPLACE,
)
LISTING_LABELS = {
    BillingProvider.AZURE_MARKETPLACE: "Azure Marketplace listing",
    BillingProvider.GCP_MARKETPLACE: "Google Cloud Marketplace listing",
}
MARKETPLACE_NAMES = {
    BillingProvider.AWS_MARKETPLACE: "AWS Marketplace",
    BillingProvider.AZURE_MARKETPLACE: "Azure Marketplace",
    BillingProvider.GCP_MARKETPLACE: "Google Cloud Marketplace",
}
KEY_INVALID = "Paste the service account's JSON key (type service_account, with private_key)."


def invoice_meter_records(invoice: Invoice):
    """The hourly records covering the invoice's period for its contract (or customer)."""
    qs = MarketplaceMeterRecord.objects.filter(
        customer_id=invoice.customer_id,
        hour__gte=invoice.period_start,
        hour__lt=invoice.period_end,
    )
    if invoice.contract_id is not None:
        qs = qs.filter(contract_id=invoice.contract_id)
    return qs.order_by("hour", "dimension")


@require_GET
@login_required
def invoice_metering(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = Invoice.objects.filter(public_id=invoice_id).select_related("customer").first()
    if invoice is None:
        raise Http404("No such invoice.")
    marketplace = invoice.customer.billing_configurations.filter(
        billing_provider__in=MARKETPLACES
    ).exists()
    if not marketplace:
        return HttpResponse("")  # not a marketplace customer: no section (htmx removes the loader)
    records = list(invoice_meter_records(invoice))
    totals: dict[str, int] = {}
    for record in records:  # what the marketplace accepted, hence bills
        if record.status == MeterStatus.SENT:
            totals[record.dimension] = totals.get(record.dimension, 0) + record.quantity
    return render(
        request,
        "invoicing/partials/marketplace_metering.html",
        {"invoice": invoice, "records": records, "totals": totals, "can_bill": can_bill(request.user),
         "failed": sum(1 for r in records if r.status == MeterStatus.FAILED)},
    )  # fmt: skip


class ListingSettingsForm(forms.Form):
    azure_plan_id = forms.CharField(
        required=False, max_length=100, label="Azure plan id",
        help_text="The offer's plan (Partner Center plan id), sent with every usage event.",
    )  # fmt: skip
    gcp_service_name = forms.CharField(required=False, max_length=253, label="GCP service name")
    gcp_service_account_key = forms.CharField(
        required=False, label="GCP service account key (JSON)", widget=forms.Textarea(
            attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="Stored encrypted; blank keeps the stored key.",
    )  # fmt: skip

    def clean_gcp_service_account_key(self) -> str:
        raw = self.cleaned_data["gcp_service_account_key"].strip()
        if not raw:
            return ""
        try:
            info = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(KEY_INVALID) from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise forms.ValidationError(KEY_INVALID)
        if not info.get("private_key") or not info.get("client_email"):
            raise forms.ValidationError(KEY_INVALID)
        return raw


def _listings(bound: dict[int, ListingSettingsForm] | None = None) -> list[dict]:
    rows = []
    providers = ConfiguredBillingProvider.objects.active().filter(
        billing_provider__in=[BillingProvider.AZURE_MARKETPLACE, BillingProvider.GCP_MARKETPLACE]
    )
    for provider in providers.select_related("metering_settings"):
        current = getattr(provider, "metering_settings", None)
        initial = {
            "azure_plan_id": current.azure_plan_id if current else "",
            "gcp_service_name": current.gcp_service_name if current else "",
        }
        form = (bound or {}).get(provider.pk) or ListingSettingsForm(initial=initial)
        has_key = bool(current and current.gcp_service_account_key)
        label = LISTING_LABELS[provider.billing_provider]
        rows.append({"provider": provider, "form": form, "has_key": has_key, "label": label})
    return rows


def _page(request: HttpRequest, bound=None, status: int = 200) -> HttpResponse:
    failed = (
        MarketplaceMeterRecord.objects.filter(status=MeterStatus.FAILED)
        .select_related("customer")
        .order_by("-hour", "pk")[:200]
    )
    stalled = [
        (cursor, MARKETPLACE_NAMES.get(cursor.configuration.billing_provider, ""))
        for cursor in MarketplaceMeteringCursor.objects.exclude(error="")
        .select_related("configuration__customer")
        .order_by("error_at", "pk")
    ]
    return render(
        request,
        "invoicing/marketplace_metering.html",
        {
            "listings": _listings(bound), "failed": failed, "stalled": stalled,
            "lookback": settings.MARKETPLACE_METERING_LOOKBACK_HOURS,
            "can_bill": can_bill(request.user),
        },
        status=status,
    )  # fmt: skip


@require_GET
@login_required
def metering_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def listing_settings_save(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = ConfiguredBillingProvider.objects.filter(
        public_id=provider_id, billing_provider__in=MARKETPLACES
    ).first()
    if provider is None:
        raise Http404("No such marketplace listing.")
    form = ListingSettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, {provider.pk: form}, status=422)
    data = form.cleaned_data
    current, _ = MarketplaceListingSettings.objects.get_or_create(provider=provider)
    current.azure_plan_id = data["azure_plan_id"].strip()
    current.gcp_service_name = data["gcp_service_name"].strip()
    if data["gcp_service_account_key"]:
        current.gcp_service_account_key = encrypt_secret(data["gcp_service_account_key"])
    current.save()
    messages.success(request, f"Metering settings of {provider} saved.")
    return redirect("invoicing:marketplace-metering")


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def meter_record_retry_view(request: HttpRequest, record_id: str) -> HttpResponse:
    record = MarketplaceMeterRecord.objects.filter(public_id=record_id).first()
    if record is None:
        raise Http404("No such metering record.")
    record = meter_record_retry(record=record, now=timezone.now())
    if record.status == MeterStatus.SENT:
        messages.success(
            request,
            f"The {record.dimension} record of {record.hour:%b %-d %H:00} UTC was accepted.",
        )
    else:
        messages.error(request, f"Still not accepted: {record.error}")
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("invoicing:marketplace-metering")
