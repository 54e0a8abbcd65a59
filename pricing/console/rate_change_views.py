"""Change a rate from a date, in one step: the form (new price or tiers, and the day), then what
will change in words ("Storage: $0.10 → $0.08 per unit from Jan 1, 2027; the current rate ends
Jan 1, 2027"), then Confirm, which makes the change atomically (pricing.rate_changes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from billing_console.api import ApplicationError
from billing_console.roles import role_required
from pricing.console.rate_card_forms import RateChangeForm
from pricing.console.rate_card_rows import card_row, change_summary, day_text
from pricing.console.rate_card_views import rate_card_or_404, rate_or_404, rate_service_error
from pricing.rate_changes import rate_change_from, rate_change_preview

TEMPLATE = "pricing/rate_change.html"


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def rate_change(request: HttpRequest, rate_card_id: str, rate_id: str) -> HttpResponse:
    """GET: the form. POST: a tier row added or removed (the form again); Review (the form and
    what will change, nothing saved); Confirm (the change made, back to the card)."""
    card = rate_card_or_404(rate_card_id)
    rate = rate_or_404(card, rate_id)
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    form = RateChangeForm(data, rate=rate, today=now.date())
    context = {"card": card, "rate": rate, "row": card_row(rate, now), "form": form}
    if data is None or form.rows_changed or "back" in data:
        return render(request, TEMPLATE, context)
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=422)
    change_kwargs = {"rate": rate, **form.change_fields()}
    try:
        if "confirm" in data:
            change = rate_change_from(**change_kwargs)
        else:
            change = rate_change_preview(**change_kwargs)
    except ApplicationError as err:
        rate_service_error(form, err)
        return render(request, TEMPLATE, context, status=422)
    if "confirm" not in data:
        return render(request, TEMPLATE, {**context, "summary": change_summary(change)})
    messages.success(
        request,
        f"{change.started.product.name}: new rate from {day_text(change.started.starting_at)}; "
        f"the previous one ends then.",
    )
    return redirect("pricing:rate-card-detail", card.public_id)
