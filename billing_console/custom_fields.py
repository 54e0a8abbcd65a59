"""Custom fields on any entity: an allowlist of keys per entity type, values on the entity.

Each entity model keeps its values in a `custom_fields` JSONField and exposes `public_id`.
Apps add their entity types to ENTITY_MODELS as they are built; the wire names are Metronome's.
"""

import uuid

from django.apps import apps
from django.db import models, transaction

from billing_console.api import ApplicationError
from billing_console.models import CustomFieldKey
from billing_console.wire import text_problem

ENTITIES = (
    "alert", "billable_metric", "charge", "commit", "contract_credit", "contract_product",
    "contract", "credit_grant", "customer_plan", "customer", "discount", "invoice", "plan",
    "professional_service", "product", "rate_card", "scheduled_charge", "subscription",
    "package_commit", "package_credit", "package_subscription", "package_scheduled_charge",
)  # fmt: skip

# entity type -> "app_label.Model"; an entity type is usable once its model exists.
ENTITY_MODELS: dict[str, str] = {
    "customer": "customers.Customer",
    "billable_metric": "usage.BillableMetric",
    "product": "pricing.Product",
    "rate_card": "pricing.RateCard",
    "contract": "contracts.Contract",
    "commit": "contracts.Commit",
    "contract_credit": "contracts.Commit",
    "scheduled_charge": "contracts.ScheduledCharge",
    "discount": "contracts.Discount",
    "professional_service": "contracts.ProfessionalService",
}

ENTITY_UNSUPPORTED = "entity: custom fields on '{entity}' are not supported by this server yet."
KEY_UNKNOWN = "custom_fields: key '{key}' is not defined for entity '{entity}'; add it first with /v1/customFields/addKey."
VALUE_NOT_UNIQUE = "custom_fields: value '{value}' of key '{key}' is already used by another {entity}; the key enforces uniqueness."


def entity_model(entity: str) -> type[models.Model]:
    label = ENTITY_MODELS.get(entity)
    if label is None:
        raise ApplicationError(ENTITY_UNSUPPORTED.format(entity=entity))
    return apps.get_model(label)


def custom_field_key_add(*, entity: str, key: str, enforce_uniqueness: bool) -> CustomFieldKey:
    entity_model(entity)
    field_key, created = CustomFieldKey.objects.get_or_create(
        entity=entity, key=key, defaults={"enforce_uniqueness": enforce_uniqueness}
    )
    if not created and field_key.enforce_uniqueness != enforce_uniqueness:
        raise ApplicationError(
            f"key: '{key}' already exists on '{entity}' with enforce_uniqueness="
            f"{str(field_key.enforce_uniqueness).lower()}.",
            code="conflict",
        )
    return field_key


def custom_field_key_remove(*, entity: str, key: str) -> None:
    field_key = CustomFieldKey.objects.filter(entity=entity, key=key).first()
    if field_key is None:
        raise ApplicationError(f"key: '{key}' is not defined for entity '{entity}'.", "not_found")
    field_key.delete()


def custom_fields_validate(
    *, entity: str, values: dict[str, str], instance: models.Model | None = None
) -> None:
    """Every key must be on the allowlist; unique keys must not repeat on another entity."""
    if not values:
        return
    for key in values:  # before the query, which fails on these (NUL: PostgreSQL; surrogates: both)
        if problem := text_problem(key):
            raise ApplicationError(f"custom_fields: keys {problem}")
    keys = {k.key: k for k in CustomFieldKey.objects.filter(entity=entity, key__in=list(values))}
    model = entity_model(entity)
    for key, value in values.items():
        field_key = keys.get(key)
        if field_key is None:
            raise ApplicationError(KEY_UNKNOWN.format(key=key, entity=entity))
        if field_key.enforce_uniqueness:
            others = model.objects.filter(**{f"custom_fields__{key}": value})
            if instance is not None and instance.pk:
                others = others.exclude(pk=instance.pk)
            if others.exists():
                raise ApplicationError(
                    VALUE_NOT_UNIQUE.format(value=value, key=key, entity=entity), "conflict"
                )


def _entity_get_for_update(entity: str, entity_id: str) -> models.Model:
    model = entity_model(entity)
    try:
        uuid.UUID(entity_id)
    except ValueError:
        raise ApplicationError(
            f"entity_id: no {entity} with id {entity_id}.", "not_found"
        ) from None
    instance = model.objects.select_for_update().filter(public_id=entity_id).first()
    if instance is None:
        raise ApplicationError(f"entity_id: no {entity} with id {entity_id}.", "not_found")
    return instance


@transaction.atomic
def custom_field_values_set(*, entity: str, entity_id: str, values: dict[str, str]) -> models.Model:
    instance = _entity_get_for_update(entity, entity_id)
    custom_fields_validate(entity=entity, values=values, instance=instance)
    instance.custom_fields = {**instance.custom_fields, **values}
    instance.save(update_fields=["custom_fields", *_touch_fields(instance)])
    return instance


@transaction.atomic
def custom_field_values_delete(*, entity: str, entity_id: str, keys: list[str]) -> models.Model:
    instance = _entity_get_for_update(entity, entity_id)
    instance.custom_fields = {k: v for k, v in instance.custom_fields.items() if k not in keys}
    instance.save(update_fields=["custom_fields", *_touch_fields(instance)])
    return instance


def _touch_fields(instance: models.Model) -> list[str]:
    return ["updated_at"] if hasattr(instance, "updated_at") else []
