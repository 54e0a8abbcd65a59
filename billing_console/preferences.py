"""Saved list filters: a list page opened without filters gets the user's last ones back."""

from django.http import HttpRequest, QueryDict

from billing_console.models import ConsolePreference
from billing_console.wire import text_problem


def remembered_filters(request: HttpRequest, page: str, keys: tuple[str, ...]) -> QueryDict:
    """Return the filters to apply; save them when the request carries some."""
    given = {k: request.GET[k] for k in keys if k in request.GET}
    if given:
        # Text the database cannot store (NUL) is not remembered; the page's filter form
        # refuses it, so the filter is dropped from that page alone.
        if not any(text_problem(value) for value in given.values()):
            ConsolePreference.objects.update_or_create(
                user=request.user, page=page, defaults={"value": given}
            )
        return request.GET
    saved = ConsolePreference.objects.filter(user=request.user, page=page).first()
    params = QueryDict(mutable=True)
    if saved is not None and "reset" not in request.GET:
        for key, value in saved.value.items():
            if key in keys:
                params[key] = value
    return params
