"""Settings → Your profile: each user's own console settings (the time zone timestamps are
shown in). Every signed-in user, read-only included, may change their own."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from billing_console.api import ApplicationError
from billing_console.time_zones import (
    remember_time_zone,
    user_time_zone,
    user_time_zone_set,
    zone_names,
)


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Timestamps (created, updated, audit log, events) are shown in it. "
        "Billing dates such as invoice periods are calendar dates and do not move.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in zone_names()]


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    template = "billing_console/profile.html"
    if request.method == "GET":
        form = ProfileForm(initial={"time_zone": user_time_zone(request.user)})
        return render(request, template, {"form": form, "now": timezone.now()})
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except ApplicationError as err:
            form.add_error("time_zone", err.message.split(": ", 1)[-1])
    if not form.is_valid():
        return render(request, template, {"form": form, "now": timezone.now()}, status=422)
    remember_time_zone(request, form.cleaned_data["time_zone"])
    messages.success(request, f"Time zone set to {form.cleaned_data['time_zone']}.")
    return redirect("profile")
