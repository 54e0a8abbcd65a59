"""Pricing models as Metronome wire dicts, in the shapes of the SDK's response types
(metronome/types/v1/contracts/*_response.py, types/v1/package_*_response.py, types/shared/).

Numbers: Decimal inside, JSON numbers on the wire. Exact integers go out as int; anything else
as the float nearest the exact decimal string (never through binary arithmetic).

This module holds what every pricing wire shape uses (credit types, who created a row; times
and numbers come from billing_console.lib.wire_values); the shapes themselves are by concern
in `pricing.wire_products`, `pricing.wire_rates` (rate cards and rates) and
`pricing.wire_packages`.
"""

import uuid
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from pricing.models import CreditType

# -- credit types ------------------------------------------------------------------------------


def credit_type_data(credit_type: CreditType) -> dict[str, str]:
    """CreditTypeData: {id, name}."""
    return {"id": str(credit_type.public_id), "name": credit_type.name}


def credit_type_to_wire(credit_type: CreditType) -> dict[str, Any]:
    """PricingUnitListResponse."""
    return {**credit_type_data(credit_type), "is_currency": credit_type.is_fiat}


def credit_types_by_id(ids: set[str]) -> dict[str, CreditType]:
    """public id -> credit type, for the ids that name one (others are left out)."""
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except (TypeError, ValueError):
            continue
    return {str(c.public_id): c for c in CreditType.objects.filter(public_id__in=valid)}


# -- who created it (auditlog) ---------------------------------------------------------------


def created_by_map(model: type[Model], pks: list[int]) -> dict[int, str]:
    """Who created each row, from its auditlog CREATE entry ('' when unknown)."""
    if not pks:
        return {}
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=[str(pk) for pk in pks],
        action=LogEntry.Action.CREATE,
    ).select_related("actor")
    out: dict[int, str] = {}
    for entry in entries:
        actor = entry.actor
        if actor is not None:
            out[int(entry.object_pk)] = actor.get_full_name() or actor.get_username()
    return out
