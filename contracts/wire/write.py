"""Contracts on the wire, in the SDK's ContractV2 shape (v1 wraps it as initial/current)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing_console.lib.wire_values import iso, number
from contracts.models import Commit, CommitKind, Contract, LedgerEntry, LedgerEntryType
from contracts.terms.child_access import child_access_to_wire
from contracts.terms.external_ids import contract_external_ids_to_wire
from contracts.terms.hierarchy import hierarchy_to_wire, transitions_to_wire
from contracts.terms.ledger import commit_available_balance

LEDGER_PREFIX = {
    CommitKind.PREPAID: "PREPAID_COMMIT",
    CommitKind.POSTPAID: "POSTPAID_COMMIT",
    CommitKind.CREDIT: "CREDIT",
}
LEDGER_SUFFIX = {
    LedgerEntryType.SEGMENT_START: "SEGMENT_START",
    LedgerEntryType.USAGE_DEDUCTION: "AUTOMATED_INVOICE_DEDUCTION",
    LedgerEntryType.EXPIRATION: "EXPIRATION",
    LedgerEntryType.ROLLOVER: "ROLLOVER",
    LedgerEntryType.MANUAL: "MANUAL",
    LedgerEntryType.TRUE_UP: "TRUEUP",
    LedgerEntryType.SEAT_BASED_ADJUSTMENT: "SEAT_BASED_ADJUSTMENT",
}


def _product(product: Any) -> dict[str, str]:
    return {"id": str(product.public_id), "name": product.name}


def ledger_entry_type(entry: LedgerEntry, kind: str) -> str:
    if kind == CommitKind.POSTPAID and entry.type == LedgerEntryType.SEGMENT_START:
        return "POSTPAID_COMMIT_INITIAL_BALANCE"
    if entry.type == LedgerEntryType.USAGE_DEDUCTION and entry.amount > 0:
        return f"{LEDGER_PREFIX[kind]}_CANCELED"  # given back by a voided invoice
    return f"{LEDGER_PREFIX[kind]}_{LEDGER_SUFFIX[entry.type]}"


def ledger_entry_to_wire(entry: LedgerEntry, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": ledger_entry_type(entry, kind),
        "amount": number(entry.amount),
        "timestamp": iso(entry.timestamp),
    }
    if entry.segment_id and entry.type != LedgerEntryType.MANUAL:
        data["segment_id"] = str(entry.segment.public_id)
    if entry.invoice_public_id:
        data["invoice_id"] = str(entry.invoice_public_id)
        if entry.commit.contract_id:
            data["contract_id"] = str(entry.commit.contract.public_id)
    if entry.type == LedgerEntryType.ROLLOVER and entry.rollover_segment_id:
        other = entry.rollover_segment.commit.contract or entry.commit.contract
        data["new_contract_id"] = str(other.public_id) if other else None
    if entry.type == LedgerEntryType.MANUAL:
        data["reason"] = entry.reason
    return data


def _credit_type(commit: Commit) -> dict[str, str]:
    """The unit of a commit's access schedule: its custom pricing unit, else the contract's."""
    from contracts.terms.balances import commit_credit_type_id

    if commit.access_credit_type_id is not None:
        unit = commit.access_credit_type
        return {"id": str(unit.public_id), "name": unit.name}
    return {"id": commit_credit_type_id(commit), "name": _fiat_name(commit)}


def _fiat_name(commit: Commit) -> str:
    contract = commit.contract or commit.invoice_contract
    card = contract.rate_card if contract is not None else None
    return card.fiat_credit_type.name if card is not None else "USD (cents)"


def commit_to_wire(
    commit: Commit,
    *,
    include_balance: bool = False,
    include_ledgers: bool = False,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A commit or credit in the SDK's Commit / Credit shape. `balance` is what is available
    at `at` (now by default): segments whose access covers it, none below zero."""
    data: dict[str, Any] = {
        "id": str(commit.public_id),
        "type": commit.kind,
        "name": commit.name or None,
        "description": commit.description or None,
        "product": _product(commit.product),
        "priority": number(commit.priority),
        "applicable_product_ids": commit.applicable_product_ids or None,
        "applicable_product_tags": commit.applicable_product_tags or None,
        "specifiers": commit.specifiers or None,
        "rate_type": commit.rate_type,
        "rollover_fraction": number(commit.rollover_fraction),
        "custom_fields": commit.custom_fields,
        "created_at": iso(commit.created_at),
        "archived_at": iso(commit.archived_at),
        "contract": {"id": str(commit.contract.public_id)} if commit.contract_id else None,
        "uniqueness_key": commit.uniqueness_key,
        "spend_tracker_attributes": (
            {"counts_as_discounted": commit.counts_as_discounted}
            if commit.counts_as_discounted is not None
            else None
        ),
        "netsuite_sales_order_id": commit.netsuite_sales_order_id or None,
        "salesforce_opportunity_id": commit.salesforce_opportunity_id or None,
        "access_schedule": {
            "schedule_items": [
                {
                    "id": str(s.public_id),
                    "amount": number(s.amount),
                    "starting_at": iso(s.starting_at),
                    "ending_before": iso(s.ending_before),
                }
                for s in commit.segments.all()
            ],
            "credit_type": _credit_type(commit),
            "access_type": "SPEND",
        },
    }
    if commit.kind == CommitKind.PREPAID:
        data["invoice_schedule"] = {
            "do_not_invoice": commit.do_not_invoice,
            "schedule_items": [
                {
                    "id": str(i.public_id),
                    "amount": number(i.amount),
                    "quantity": number(i.quantity),
                    "unit_price": number(i.unit_price),
                    "timestamp": iso(i.timestamp),
                }
                for i in commit.invoice_items.all()
            ],
        }
    if commit.recurring_commit_id:
        data["recurring_commit_id"] = str(commit.recurring_commit.public_id)
        if commit.recurring_commit.subscription_config:
            data["subscription_config"] = commit.recurring_commit.subscription_config
    if commit.applicable_contract_ids:
        data["applicable_contract_ids"] = commit.applicable_contract_ids
    if commit.invoice_contract_id:
        data["invoice_contract"] = {"id": str(commit.invoice_contract.public_id)}
    data["hierarchy_configuration"] = child_access_to_wire(commit)
    if include_balance:
        data["balance"] = number(commit_available_balance(commit, at=at or timezone.now()))
    if include_ledgers:
        data["ledger"] = [
            ledger_entry_to_wire(e, commit.kind)
            for e in commit.ledger.select_related(
                "segment", "commit__contract", "rollover_segment__commit__contract"
            )
        ]
    return {k: v for k, v in data.items() if v is not None}


def override_to_wire(override: Any) -> dict[str, Any]:
    data = {
        "id": str(override.public_id),
        "type": override.type,
        "starting_at": iso(override.starting_at),
        "ending_before": iso(override.ending_before),
        "created_at": iso(override.created_at),
        "product": _product(override.product) if override.product_id else None,
        "applicable_product_tags": override.applicable_product_tags or None,
        "override_specifiers": override.override_specifiers or None,
        "multiplier": number(override.multiplier),
        "priority": number(override.priority),
        "entitled": override.entitled,
        "is_commit_specific": override.is_commit_specific,
        "target": override.target or None,
        "overwrite_rate": _overwrite_to_wire(override.overwrite_rate)
        if override.overwrite_rate
        else None,
        "override_tiers": [{k: number(Decimal(v)) for k, v in t.items()} for t in override.tiers]
        if override.tiers
        else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def _overwrite_to_wire(rate: dict[str, Any]) -> dict[str, Any]:
    out = dict(rate)
    if "price" in out:
        out["price"] = number(Decimal(out["price"]))
    if "tiers" in out:
        out["tiers"] = [{k: number(Decimal(v)) for k, v in t.items()} for t in out["tiers"]]
    return out


def scheduled_charge_to_wire(charge: Any) -> dict[str, Any]:
    return {
        "id": str(charge.public_id),
        "product": _product(charge.product),
        "name": charge.name or None,
        "description": charge.description or None,
        "custom_fields": charge.custom_fields,
        "netsuite_sales_order_id": charge.netsuite_sales_order_id or None,
        "archived_at": iso(charge.archived_at),
        "schedule": {
            "schedule_items": [
                {
                    "id": str(i.public_id),
                    "amount": number(i.amount),
                    "quantity": number(i.quantity),
                    "unit_price": number(i.unit_price),
                    "timestamp": iso(i.timestamp),
                }
                for i in charge.items.all()
            ]
        },
    }


def contract_to_wire(
    contract: Contract, *, include_balance: bool = False, include_ledgers: bool = False
) -> dict[str, Any]:
    from contracts.terms.balances import contract_credit_type_id
    from contracts.terms.discounts import contract_discounts, discount_to_wire
    from contracts.terms.pro_services import contract_pro_services, pro_service_to_wire
    from contracts.terms.recurring import recurring_to_wire
    from contracts.terms.reseller_royalties import contract_royalties, royalties_by_type_to_wire
    from contracts.terms.spend_trackers import spend_trackers_to_wire
    from contracts.terms.subscription_read import subscription_to_wire
    from contracts.terms.usage_filters import usage_filter_to_wire
    from customers.wire import configuration_to_wire

    items = list(
        contract.recurring_commits.filter(archived_at__isnull=True).select_related("product")
    )
    credit_type_id = contract_credit_type_id(contract)
    wired = [(r.kind, recurring_to_wire(r, default_credit_type_id=credit_type_id)) for r in items]
    recurring = [w for kind, w in wired if kind != CommitKind.CREDIT]
    recurring_credits = [w for kind, w in wired if kind == CommitKind.CREDIT]
    commits = list(
        contract.commits.filter(archived_at__isnull=True)
        .select_related("product", "contract", "recurring_commit")
        .prefetch_related("segments", "invoice_items")
    )
    return {
        "id": str(contract.public_id),
        "customer_id": str(contract.customer.public_id),
        "name": contract.name or None,
        "rate_card_id": str(contract.rate_card.public_id) if contract.rate_card_id else None,
        "package_id": str(contract.package.public_id) if contract.package_id else None,
        "starting_at": iso(contract.starting_at),
        "ending_before": iso(contract.ending_before),
        "created_at": iso(contract.created_at),
        "created_by": "api",
        "archived_at": iso(contract.archived_at),
        "custom_fields": contract.custom_fields,
        "uniqueness_key": contract.uniqueness_key,
        **contract_external_ids_to_wire(contract),
        "multiplier_override_prioritization": contract.multiplier_override_prioritization,
        "net_payment_terms_days": contract.net_payment_terms_days,
        "scheduled_charges_on_usage_invoices": contract.scheduled_charges_on_usage_invoices or None,
        "spend_threshold_configuration": contract.spend_threshold_configuration,
        "prepaid_balance_threshold_configuration": contract.prepaid_balance_threshold_configuration,
        "usage_statement_schedule": {
            "frequency": contract.usage_statement_frequency,
            "billing_anchor_date": iso(contract.usage_statement_anchor),
        },
        "usage_filter": usage_filter_to_wire(contract),
        "customer_billing_provider_configuration": (
            configuration_to_wire(contract.billing_provider_configuration)
            if contract.billing_provider_configuration_id
            else None
        ),
        "transitions": transitions_to_wire(contract),
        "hierarchy_configuration": hierarchy_to_wire(contract),
        "commits": [
            commit_to_wire(c, include_balance=include_balance, include_ledgers=include_ledgers)
            for c in commits
            if not c.is_credit
        ],
        "credits": [
            commit_to_wire(c, include_balance=include_balance, include_ledgers=include_ledgers)
            for c in commits
            if c.is_credit
        ],
        "overrides": [
            override_to_wire(o)
            for o in contract.overrides.filter(archived_at__isnull=True).select_related("product")
        ],
        "scheduled_charges": [
            scheduled_charge_to_wire(c)
            for c in contract.scheduled_charges.filter(archived_at__isnull=True)
            .select_related("product")
            .prefetch_related("items")
        ],
        "discounts": [discount_to_wire(d) for d in contract_discounts(contract)],
        "professional_services": [pro_service_to_wire(s) for s in contract_pro_services(contract)],
        "spend_trackers": spend_trackers_to_wire(contract, timezone.now()),
        "reseller_royalties": royalties_by_type_to_wire(contract_royalties(contract)),
        "recurring_commits": recurring,
        "recurring_credits": recurring_credits,
        "subscriptions": [
            subscription_to_wire(s, now=timezone.now(), credit_type_id=credit_type_id)
            for s in contract.subscriptions.filter(archived_at__isnull=True)
            .select_related("product", "contract")
            .prefetch_related("quantity_changes")
        ],
    }
