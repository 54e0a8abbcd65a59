"""Packages as Metronome wire dicts: PackageRetrieveResponse.data / PackageListResponse, and the
contracts on a package (PackageListContractsOnPackageResponse)."""

import uuid
from typing import Any

from billing_console.lib.wire_values import iso
from pricing.models import USD_CENTS_ID, CreditType, Package, Product
from pricing.wire import credit_type_data, credit_types_by_id


def package_item_id(package: Package, path: str) -> str:
    """The wire id of a package's item at `path` ("commits[0]"): derived, not stored."""
    return str(uuid.uuid5(package.public_id, path))


class _PackageWire:
    """Stored (input-shaped) package terms -> PackageRetrieveResponse.data: product ids become
    {id, name}, credit type ids {id, name}, and every item gets an id. Ids are derived from the
    package id and the item's position, so they are stable across reads without being stored."""

    def __init__(self, package: Package) -> None:
        self.package = package
        terms = package.terms or {}
        self.default_credit_type = (
            package.rate_card.fiat_credit_type
            if package.rate_card_id
            else CreditType(public_id=USD_CENTS_ID, name="USD (cents)")
        )
        products: set[str] = set()
        credit_types: set[str] = set()
        _collect(terms, products, credit_types)
        self.products = _products_by_id(products)
        self.credit_types = credit_types_by_id(credit_types)
        self.temporary: dict[str, str] = {}
        for key in ("commits", "recurring_commits", "subscriptions"):
            for index, item in enumerate(terms.get(key) or []):
                if item.get("temporary_id"):
                    self.temporary[item["temporary_id"]] = self.item_id(f"{key}[{index}]")

    def item_id(self, path: str) -> str:
        return package_item_id(self.package, path)

    def product(self, public_id: str) -> dict[str, str]:
        product = self.products.get(public_id)
        return {"id": public_id, "name": product.name if product else ""}

    def credit_type(self, public_id: str | None) -> dict[str, str]:
        if public_id and public_id in self.credit_types:
            return credit_type_data(self.credit_types[public_id])
        return credit_type_data(self.default_credit_type)

    def commit(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("product_id", "temporary_id")}
        out["id"] = self.item_id(path)
        out["product"] = self.product(item["product_id"])
        access = item.get("access_schedule")
        if access:
            out["access_schedule"] = {
                "credit_type": self.credit_type(access.get("credit_type_id")),
                "schedule_items": [
                    {**si, "id": self.item_id(f"{path}.access_schedule.schedule_items[{i}]")}
                    for i, si in enumerate(access["schedule_items"])
                ],
                "access_type": access.get("access_type"),
            }
        invoice = item.get("invoice_schedule")
        if invoice:
            out["invoice_schedule"] = self._schedule(invoice, f"{path}.invoice_schedule")
            out["invoice_schedule"]["do_not_invoice"] = bool(invoice.get("do_not_invoice"))
        return out

    def _schedule(self, schedule: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "credit_type": self.credit_type(schedule.get("credit_type_id")),
            "schedule_items": [
                {**si, "id": self.item_id(f"{path}.schedule_items[{i}]")}
                for i, si in enumerate(schedule["schedule_items"])
            ],
        }

    def recurring(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("product_id", "temporary_id")}
        out["id"] = self.item_id(path)
        out["product"] = self.product(item["product_id"])
        out["rate_type"] = item.get("rate_type", "COMMIT_RATE")
        access = dict(item["access_amount"])
        access["credit_type_id"] = self.credit_type(access.get("credit_type_id"))["id"]
        out["access_amount"] = access
        config = item.get("subscription_config")
        if config:
            out["subscription_config"] = {
                "allocation": config.get("allocation", "POOLED"),
                "apply_seat_increase_config": config["apply_seat_increase_config"],
                "subscription_template_id": self.temporary.get(config["subscription_id"], ""),
            }
        return out

    def override(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("override_specifiers", "tiers")}
        out["id"] = self.item_id(path)
        renamed = {
            "commit_ids": "commit_template_ids",
            "recurring_commit_ids": "recurring_commit_template_ids",
            "any_commit_or_credit_ids": "any_commit_or_credit_template_ids",
        }
        out["override_specifiers"] = [
            {
                renamed.get(k, k): [self.temporary.get(v, v) for v in value]
                if k in renamed
                else value
                for k, value in spec.items()
            }
            for spec in item["override_specifiers"]
        ]
        if item.get("tiers"):
            out["override_tiers"] = item["tiers"]
        rate = item.get("overwrite_rate")
        if rate:
            out["overwrite_rate"] = {
                **{k: v for k, v in rate.items() if k != "credit_type_id"},
                "credit_type": self.credit_type(rate.get("credit_type_id")),
            }
        return out

    def scheduled_charge(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "id": self.item_id(path),
            "product": self.product(item["product_id"]),
            "schedule": self._schedule(item["schedule"], f"{path}.schedule"),
            "name": item.get("name"),
            "custom_fields": item.get("custom_fields") or {},
        }

    def subscription(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if k not in ("subscription_rate", "temporary_id")}
        out["id"] = self.item_id(path)
        rate = item["subscription_rate"]
        out["subscription_rate"] = {
            "billing_frequency": rate["billing_frequency"],
            "product": self.product(rate["product_id"]),
        }
        out["proration"] = {
            "invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE",
            "is_prorated": False,
            **item["proration"],
        }
        out["fiat_credit_type_id"] = str(self.default_credit_type.public_id)
        return out


def _collect(value: Any, products: set[str], credit_types: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "product_id" and isinstance(item, str):
                products.add(item)
            elif key == "credit_type_id" and isinstance(item, str):
                credit_types.add(item)
            else:
                _collect(item, products, credit_types)
    elif isinstance(value, list):
        for item in value:
            _collect(item, products, credit_types)


def _products_by_id(ids: set[str]) -> dict[str, Product]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except (TypeError, ValueError):
            continue
    return {str(p.public_id): p for p in Product.objects.filter(public_id__in=valid)}


def package_to_wire(package: Package, *, created_by: str = "") -> dict[str, Any]:
    """PackageRetrieveResponse.data / PackageListResponse."""
    terms = package.terms or {}
    wire = _PackageWire(package)

    def each(key: str, render: Any) -> list[dict[str, Any]]:
        return [render(item, f"{key}[{i}]") for i, item in enumerate(terms.get(key) or [])]

    simple = (
        "billing_provider", "contract_name", "delivery_method", "duration",
        "multiplier_override_prioritization", "net_payment_terms_days",
        "prepaid_balance_threshold_configuration", "scheduled_charges_on_usage_invoices",
        "spend_threshold_configuration", "spend_trackers",
    )  # fmt: skip
    return {
        "id": str(package.public_id),
        "name": package.name,
        "created_at": iso(package.created_at),
        "created_by": created_by,
        "archived_at": iso(package.archived_at),
        "aliases": list(package.aliases or []),
        "uniqueness_key": package.uniqueness_key,
        "rate_card_id": str(package.rate_card.public_id) if package.rate_card_id else None,
        "commits": each("commits", wire.commit),
        "credits": each("credits", wire.commit),
        "overrides": each("overrides", wire.override),
        "scheduled_charges": each("scheduled_charges", wire.scheduled_charge),
        "recurring_commits": each("recurring_commits", wire.recurring),
        "recurring_credits": each("recurring_credits", wire.recurring),
        "subscriptions": each("subscriptions", wire.subscription),
        # Contracts default to monthly statements from the contract start.
        "usage_statement_schedule": terms.get("usage_statement_schedule")
        or {"frequency": "MONTHLY", "day": "CONTRACT_START"},
        **{key: terms.get(key) for key in simple},
    }


def contract_on_package_to_wire(contract: Any) -> dict[str, Any]:
    """PackageListContractsOnPackageResponse."""
    return {
        "contract_id": str(contract.public_id),
        "customer_id": str(contract.customer.public_id),
        "starting_at": iso(contract.starting_at),
        "ending_before": iso(contract.ending_before),
        "archived_at": iso(contract.archived_at),
    }
