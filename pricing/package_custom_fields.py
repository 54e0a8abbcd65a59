"""Custom field values on a package's commits, credits, subscriptions and scheduled charges.

These items have no rows: they live in the package's `terms`, and their wire ids are derived
from the package id and their position (pricing.wire_packages.package_item_id). A value set
here is stored on the item's `custom_fields` in the terms, so /v1/packages/get shows it."""

import uuid
from typing import Any

from billing_console.custom_fields import Entity, register_store
from pricing.models import Package
from pricing.wire_packages import package_item_id

# custom field entity type -> the terms list holding its items
PACKAGE_ITEM_ENTITIES = {
    "package_commit": "commits",
    "package_credit": "credits",
    "package_subscription": "subscriptions",
    "package_scheduled_charge": "scheduled_charges",
}


class PackageItemStore:
    def __init__(self, terms_key: str) -> None:
        self.terms_key = terms_key

    def _items(self, package: Package) -> list[tuple[str, dict[str, Any]]]:
        items = (package.terms or {}).get(self.terms_key) or []
        return [
            (package_item_id(package, f"{self.terms_key}[{i}]"), item)
            for i, item in enumerate(items)
        ]

    def _find(self, entity_id: uuid.UUID) -> tuple[Package, dict[str, Any]] | None:
        # Ids are derived, so each package's ids are computed and compared: packages are
        # templates, a few dozen at most, and this runs only on setValues/deleteValues.
        wanted = str(entity_id)
        for package in Package.objects.only("pk", "public_id", "terms"):
            for item_id, item in self._items(package):
                if item_id == wanted:
                    return package, item
        return None

    def load(self, entity_id: uuid.UUID) -> Entity | None:
        found = self._find(entity_id)
        if found is None:
            return None
        package = Package.objects.select_for_update().get(pk=found[0].pk)
        # Re-read the item from the locked row: the terms may have changed since the scan.
        item = dict(self._items(package)).get(str(entity_id))
        if item is None:
            return None

        def save(values: dict[str, str]) -> None:
            if values:
                item["custom_fields"] = values
            else:
                item.pop("custom_fields", None)
            package.save(update_fields=["terms"])

        values = dict(item.get("custom_fields") or {})
        return Entity(values=values, save=save, ref=str(entity_id), instance=package)

    def value_taken(self, key: str, value: str, exclude: Any) -> bool:
        for package in Package.objects.only("pk", "public_id", "terms"):
            for item_id, item in self._items(package):
                if item_id != exclude and (item.get("custom_fields") or {}).get(key) == value:
                    return True
        return False


def register() -> None:
    for entity, terms_key in PACKAGE_ITEM_ENTITIES.items():
        register_store(entity, PackageItemStore(terms_key))
