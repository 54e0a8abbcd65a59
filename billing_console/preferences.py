"""Saved list filters: a list page opened without filters gets the user's last ones back, and
says so ("Filters applied: status = Draft · Reset"); ?reset=1 forgets them."""

from typing import Any

from django import forms
from django.http import HttpRequest, QueryDict

from billing_console.models import ConsolePreference
from billing_console.wire import text_problem


def remembered_filters(request: HttpRequest, page: str, keys: tuple[str, ...]) -> QueryDict:
    """Return the filters to apply; save them when the request carries some."""
    if "reset" in request.GET:  # the Reset link: forget them, show the page unfiltered
        ConsolePreference.objects.filter(user=request.user, page=page).delete()
        return QueryDict()
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
    if saved is not None:
        for key, value in saved.value.items():
            if key in keys:
                params[key] = value
    return params


def filters_applied(
    form: forms.Form, defaults: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """(label, value as the page shows it) of each filter the bound `form` applies, but for a
    value equal to the page's default (`defaults`): the "Filters applied" line."""
    defaults = defaults or {}
    out = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name) if form.is_valid() else form.data.get(name)
        if value in (None, "", [], ()) or str(value) == str(defaults.get(name, "")):
            continue
        label = str(field.label or ("search" if name == "q" else name.replace("_", " ")))
        out.append((label, _shown(field, value)))
    return out


def _shown(field: forms.Field, value: Any) -> str:
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    if isinstance(field, forms.ChoiceField):
        names = {str(k): str(v) for k, v in field.choices}
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in values)
    return f"“{value}”" if isinstance(value, str) else str(value)
