"""{% filters_applied_line filters status="active" %}: the "Filters applied: … · Reset" line of
a list page whose filters are remembered (billing_console/preferences.py); keyword arguments
are the page's defaults, not worth saying."""

from typing import Any

from django import forms, template

from billing_console.preferences import filters_applied

register = template.Library()


@register.inclusion_tag("billing_console/partials/filters_applied.html", takes_context=True)
def filters_applied_line(context: Any, form: forms.Form, **defaults: Any) -> dict[str, Any]:
    return {"applied": filters_applied(form, defaults), "request": context.get("request")}
