"""Custom fields on any entity: an allowlist of keys per entity type, values on the entity.

Every entity type of the SDK's enum (ENTITIES) takes keys. Where its values live is its store:
most entity models keep them in a `custom_fields` JSONField and expose `public_id`
(ENTITY_MODELS); an alert or an invoice keeps them beside its row (SIDE_TABLE_MODELS); the
items of a package live in the package's terms, so pricing registers that store
(`register_store`). An entity type whose model is not installed (a build without the plans
app's Metronome 1.0 entities) takes keys, and an id of its is never found: a 404, not a 500.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.apps import apps
from django.db import models, transaction

from billing_console.api import ApplicationError
from billing_console.models import CustomFieldKey, CustomFieldValues
from billing_console.wire import text_problem

ENTITIES = (
    "alert", "billable_metric", "charge", "commit", "contract_credit", "contract_product",
    "contract", "credit_grant", "customer_plan", "customer", "discount", "invoice", "plan",
    "professional_service", "product", "rate_card", "scheduled_charge", "subscription",
    "package_commit", "package_credit", "package_subscription", "package_scheduled_charge",
)  # fmt: skip

# entity type -> "app_label.Model" holding the values in its `custom_fields` column.
ENTITY_MODELS: dict[str, str] = {
    "customer": "customers.Customer",
    "billable_metric": "usage.BillableMetric",
    "product": "pricing.Product",
    # A contract product is this server's product (Metronome's "product" names the 1.0 plans'
    # product; here there is one product model, so both types keep values on it).
    "contract_product": "pricing.Product",
    "rate_card": "pricing.RateCard",
    "contract": "contracts.Contract",
    "commit": "contracts.Commit",
    "contract_credit": "contracts.Commit",
    "scheduled_charge": "contracts.ScheduledCharge",
    "discount": "contracts.Discount",
    "professional_service": "contracts.ProfessionalService",
    "subscription": "contracts.Subscription",
    # Metronome 1.0 entities (the plans app): while a model is not installed, no id is found.
    "credit_grant": "plans.CreditGrant",
    "plan": "plans.Plan",
    "customer_plan": "plans.CustomerPlan",
    "charge": "plans.PlanCharge",  # a 1.0 plan's charge; contracts' charges: scheduled_charge
}
# entity type -> "app_label.Model" whose values are kept in CustomFieldValues.
SIDE_TABLE_MODELS: dict[str, str] = {
    "alert": "alerts.Alert",
    "invoice": "invoicing.Invoice",
}

ENTITY_UNSUPPORTED = "entity: custom fields on '{entity}' are not supported by this server yet."
ENTITY_NOT_FOUND = "entity_id: no {entity} with id {entity_id}."
KEY_UNKNOWN = "custom_fields: key '{key}' is not defined for entity '{entity}'; add it first with /v1/customFields/addKey."
VALUE_NOT_UNIQUE = "custom_fields: value '{value}' of key '{key}' is already used by another {entity}; the key enforces uniqueness."


@dataclass
class Entity:
    """One entity's custom field values, loaded for update. `save` stores a new mapping;
    `ref` is what `value_taken` leaves out (the entity itself); `instance` is the row saved."""

    values: dict[str, str]
    save: Callable[[dict[str, str]], None]
    ref: Any
    instance: models.Model


class Store(Protocol):
    def load(self, entity_id: uuid.UUID) -> Entity | None: ...

    def value_taken(self, key: str, value: str, exclude: Any) -> bool: ...


class ColumnStore:
    """Values in the model's own `custom_fields` JSONField."""

    def __init__(self, label: str) -> None:
        self.label = label

    def _model(self) -> type[models.Model] | None:
        try:
            return apps.get_model(self.label)
        except LookupError:  # not built (yet) in this server: no entity of it exists
            return None

    def load(self, entity_id: uuid.UUID) -> Entity | None:
        model = self._model()
        if model is None:
            return None
        instance = model.objects.select_for_update().filter(public_id=entity_id).first()
        if instance is None:
            return None

        def save(values: dict[str, str]) -> None:
            instance.custom_fields = values
            touched = ["updated_at"] if hasattr(instance, "updated_at") else []
            instance.save(update_fields=["custom_fields", *touched])

        values = dict(instance.custom_fields or {})
        return Entity(values=values, save=save, ref=instance.pk, instance=instance)

    def value_taken(self, key: str, value: str, exclude: Any) -> bool:
        model = self._model()
        if model is None:
            return False
        others = model.objects.filter(**{f"custom_fields__{key}": value})
        if exclude is not None:
            others = others.exclude(pk=exclude)
        return others.exists()


class SideTableStore:
    """Values in CustomFieldValues, for an entity of `label` (which must exist)."""

    def __init__(self, entity: str, label: str) -> None:
        self.entity = entity
        self.label = label

    def load(self, entity_id: uuid.UUID) -> Entity | None:
        model = apps.get_model(self.label)
        if not model.objects.filter(public_id=entity_id).exists():
            return None
        row, _ = CustomFieldValues.objects.select_for_update().get_or_create(
            entity=self.entity, entity_id=entity_id
        )

        def save(values: dict[str, str]) -> None:
            if not values:
                row.delete()
                return
            row.values = values
            row.save(update_fields=["values", "updated_at"])

        return Entity(values=dict(row.values), save=save, ref=entity_id, instance=row)

    def value_taken(self, key: str, value: str, exclude: Any) -> bool:
        others = CustomFieldValues.objects.filter(
            entity=self.entity, **{f"values__{key}": value}
        ).exclude(entity_id=exclude)
        return others.exists()


_STORES: dict[str, Store] = {
    **{entity: ColumnStore(label) for entity, label in ENTITY_MODELS.items()},
    **{entity: SideTableStore(entity, label) for entity, label in SIDE_TABLE_MODELS.items()},
}


def register_store(entity: str, store: Store) -> None:
    """An app whose entities keep their values elsewhere registers how (AppConfig.ready)."""
    _STORES[entity] = store


def entity_store(entity: str) -> Store:
    store = _STORES.get(entity)
    if store is None:
        raise ApplicationError(ENTITY_UNSUPPORTED.format(entity=entity))
    return store


def custom_field_key_add(*, entity: str, key: str, enforce_uniqueness: bool) -> CustomFieldKey:
    entity_store(entity)
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
    _validate(entity, values, exclude=instance.pk if instance is not None else None)


def _validate(entity: str, values: dict[str, str], *, exclude: Any) -> None:
    if not values:
        return
    for key in values:  # before the query, which fails on these (NUL: PostgreSQL; surrogates: both)
        if problem := text_problem(key):
            raise ApplicationError(f"custom_fields: keys {problem}")
    keys = {k.key: k for k in CustomFieldKey.objects.filter(entity=entity, key__in=list(values))}
    store = entity_store(entity)
    for key, value in values.items():
        field_key = keys.get(key)
        if field_key is None:
            raise ApplicationError(KEY_UNKNOWN.format(key=key, entity=entity))
        if field_key.enforce_uniqueness and store.value_taken(key, value, exclude):
            raise ApplicationError(
                VALUE_NOT_UNIQUE.format(value=value, key=key, entity=entity), "conflict"
            )


def _entity_get_for_update(entity: str, entity_id: str) -> Entity:
    store = entity_store(entity)
    not_found = ApplicationError(
        ENTITY_NOT_FOUND.format(entity=entity, entity_id=entity_id), "not_found"
    )
    try:
        public_id = uuid.UUID(entity_id)
    except ValueError:
        raise not_found from None
    found = store.load(public_id)
    if found is None:
        raise not_found
    return found


@transaction.atomic
def custom_field_values_set(*, entity: str, entity_id: str, values: dict[str, str]) -> models.Model:
    found = _entity_get_for_update(entity, entity_id)
    _validate(entity, values, exclude=found.ref)
    found.save({**found.values, **values})
    return found.instance


@transaction.atomic
def custom_field_values_delete(*, entity: str, entity_id: str, keys: list[str]) -> models.Model:
    found = _entity_get_for_update(entity, entity_id)
    found.save({k: v for k, v in found.values.items() if k not in keys})
    return found.instance
